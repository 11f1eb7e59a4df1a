-- A merge request for a prepared pair of persons (the master confirms by OTP), each pair once.
local bench = dofile("bench/wrk/common.lua")
local pair
bench.install({ [201] = true }, function()
  local master, merge = pair():match("([^,]+),([^,]+)")
  local body = '{"master_person_id": "' .. master .. '", "merge_person_id": "' .. merge .. '"}'
  return wrk.format("POST", "/api/merge_requests", bench.headers(), body)
end, function() pair = bench.cycle(bench.records("BENCH_RECORDS")) end)
