-- The person's authentication methods.
local bench = dofile("bench/wrk/common.lua")
local path = "/api/persons/" .. os.getenv("BENCH_PERSON_ID") .. "/authentication_methods"
bench.install(nil, function()
  return wrk.format("GET", path, bench.headers())
end)
