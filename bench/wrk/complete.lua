-- Wrong guesses at a code: after the allowed tries every guess is "Maximum attempts exceed" (403),
-- which costs the same row lock and path. One prepared phone per thread (BENCH_PHONES).
local bench = dofile("bench/wrk/common.lua")
local path
bench.install({ [403] = true }, function()
  return wrk.format("PATCH", path, bench.headers(), '{"code": 1111}')
end, function() path = "/api/verifications/" .. bench.records("BENCH_PHONES")[1] .. "/actions/complete" end)
