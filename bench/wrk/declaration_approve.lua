-- Approving prepared NEW declaration requests of NA patients (shared out over the clinic's doctors),
-- each once. Every approve takes the seed chain's lock: this measures the serialised part.
local bench = dofile("bench/wrk/common.lua")
local request_id
bench.install({ [201] = true }, function()
  local path = "/api/v3/declaration_requests/" .. request_id() .. "/actions/approve"
  return wrk.format("PATCH", path, bench.headers(), "{}")
end, function() request_id = bench.cycle(bench.records("BENCH_RECORDS")) end)
