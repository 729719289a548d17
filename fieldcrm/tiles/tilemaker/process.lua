-- FieldCRM's tile schema: a small subset of the Protomaps basemap layers (earth, landuse,
-- water, roads, buildings, places) with their `kind` values, so protomaps-leaflet's built-in
-- "light" style draws our tiles with no style of our own.

node_keys = { "place" }

local MAJOR = { primary=true, primary_link=true, secondary=true, secondary_link=true,
                tertiary=true, tertiary_link=true, trunk=true, trunk_link=true }
local HIGHWAY = { motorway=true, motorway_link=true }
local MINOR = { residential=true, unclassified=true, living_street=true, service=true,
                road=true, pedestrian=true }
local PATH = { footway=true, path=true, cycleway=true, steps=true, track=true, bridleway=true,
               corridor=true }
local PLACE = { city="locality", town="locality", village="locality", hamlet="locality",
                suburb="neighbourhood", quarter="neighbourhood", neighbourhood="neighbourhood" }
local PLACE_ZOOM = { city=6, town=8, village=10, hamlet=12, suburb=11, quarter=12,
                     neighbourhood=13 }
local GREEN = { park="park", garden="garden", pitch="pitch", playground="playground",
                golf_course="golf_course", nature_reserve="nature_reserve" }
local LANDUSE = { forest="forest", grass="grass", meadow="grass", recreation_ground="park",
                  industrial="industrial", cemetery="cemetery", allotments="allotments",
                  village_green="village_green", farmland="farmland" }
local NATURAL = { wood="wood", scrub="scrub", grassland="grassland", sand="sand",
                  beach="beach", glacier="glacier", bare_rock="barren", heath="scrub" }
local AMENITY = { hospital="hospital", school="school", university="university",
                  college="college" }

local function names(obj)
  local name = obj:Find("name")
  if name ~= "" then obj:Attribute("name", name) end
  for _, lang in ipairs({ "en", "fi", "sv", "ca", "fr", "es", "vi", "fa" }) do
    local v = obj:Find("name:" .. lang)
    if v ~= "" then obj:Attribute("name:" .. lang, v) end
  end
end

function node_function(node)
  local place = node:Find("place")
  local kind = PLACE[place]
  if kind then
    node:Layer("places", false)
    node:Attribute("kind", kind)
    node:MinZoom(PLACE_ZOOM[place])
    node:AttributeNumeric("min_zoom", PLACE_ZOOM[place])
    names(node)
  end
end

function way_function(way)
  local highway = way:Find("highway")
  local railway = way:Find("railway")
  local waterway = way:Find("waterway")
  local closed = way:IsClosed()

  if highway ~= "" and not (closed and way:Find("area") == "yes") then
    local kind, zoom
    if HIGHWAY[highway] then kind, zoom = "highway", 6
    elseif MAJOR[highway] then kind, zoom = "major_road", 8
    elseif MINOR[highway] then kind, zoom = "minor_road", 12
    elseif PATH[highway] then kind, zoom = "path", 14
    end
    if kind then
      way:Layer("roads", false)
      way:Attribute("kind", kind)
      way:Attribute("kind_detail", highway)
      way:MinZoom(zoom)
      names(way)
    end
  elseif railway == "rail" or railway == "light_rail" or railway == "tram" then
    way:Layer("roads", false)
    way:Attribute("kind", "rail")
    way:Attribute("kind_detail", railway)
    way:MinZoom(11)
  end

  if waterway == "river" or waterway == "canal" then
    way:Layer("water", false)
    way:Attribute("kind", "river")
    way:MinZoom(9)
    names(way)
  elseif waterway == "stream" then
    way:Layer("water", false)
    way:Attribute("kind", "stream")
    way:MinZoom(13)
  end

  if not closed then return end
  local natural = way:Find("natural")
  if natural == "water" or way:Find("landuse") == "reservoir" or waterway == "riverbank" then
    way:Layer("water", true)
    way:Attribute("kind", "water")
    names(way)
    return
  end
  if way:Find("building") ~= "" then
    way:Layer("buildings", true)
    way:Attribute("kind", "building")
    return
  end
  local kind = GREEN[way:Find("leisure")] or LANDUSE[way:Find("landuse")]
    or NATURAL[natural] or AMENITY[way:Find("amenity")]
  if highway == "pedestrian" then kind = "pedestrian" end
  if kind then
    way:Layer("landuse", true)
    way:Attribute("kind", kind)
  end
end
