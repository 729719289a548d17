import assert from "node:assert/strict";
import { test } from "node:test";

import { setLanguage } from "../static/pwa/js/i18n.js";
import {
  channelLabel,
  fieldErrors,
  kindLabel,
  settingsPatch,
} from "../static/pwa/js/screens/notification-settings.js";

test("a 422's messages land on their fields; a kind's channel on its select", () => {
  const data = {
    detail: [
      { loc: ["body", "quiet_end"], msg: "Quiet hours need both a start and an end." },
      { loc: ["body", "payload", "quiet_start"], msg: "Bad time." },
      { loc: ["body", "payload", "channels", "task_due"], msg: "Unknown channel." },
    ],
  };
  assert.deepEqual(fieldErrors(data), {
    quiet_end: "Quiet hours need both a start and an end.",
    quiet_start: "Bad time.",
    channel_task_due: "Unknown channel.",
  });
  assert.deepEqual(fieldErrors({ detail: "not a list" }), {});
});

test("empty quiet hours are sent as none; labels follow the phone's language", () => {
  assert.deepEqual(settingsPatch({ task_due: "off" }, "", ""), {
    channels: { task_due: "off" }, quiet_start: null, quiet_end: null,
  });
  assert.equal(settingsPatch({}, "21:30", "07:00").quiet_start, "21:30");
  setLanguage("vi", null);
  assert.equal(channelLabel("off"), "Tắt");
  assert.equal(kindLabel("daily_digest"), "Tóm tắt hằng ngày");
  setLanguage("en", null);
  assert.equal(kindLabel("a_new_kind"), "a_new_kind");
});

test("the lead time goes as a whole number of minutes, anything else as typed for the server to name", () => {
  assert.equal(settingsPatch({}, "", "", { lead: "45", language: "fa" }).lead_minutes, 45);
  assert.equal(settingsPatch({}, "", "", { lead: "45", language: "fa" }).language, "fa");
  assert.equal(settingsPatch({}, "", "", { lead: " " }).lead_minutes, null);
  assert.equal(settingsPatch({}, "", "", { lead: "1.5" }).lead_minutes, "1.5");
  assert.ok(!("lead_minutes" in settingsPatch({}, "", "")));
});
