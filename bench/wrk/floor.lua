-- The floor: an authenticated read of one person.
local bench = dofile("bench/wrk/common.lua")
local path = "/api/persons/" .. os.getenv("BENCH_PERSON_ID")
bench.install(nil, function()
  return wrk.format("GET", path, bench.headers())
end)
