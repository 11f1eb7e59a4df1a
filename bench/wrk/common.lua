-- Shared by the scenario scripts of `make bench` (BENCH_DRIVER=wrk). Each wrk thread has its own Lua
-- state: setup() numbers the threads, so every thread seeds its own random generator and takes its
-- own share of the phones and of the prepared records; no phone and no record is used twice.
-- response() counts the answers that are not the scenario's expected status; done() writes the
-- summary as JSON to BENCH_WRK_OUT for bench/run.py.

local M = {}
local threads = {}
local next_id = 0

M.token = os.getenv("BENCH_TOKEN")
M.api_key = os.getenv("BENCH_API_KEY")
M.thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

function M.headers(extra)
  local h = {
    ["Authorization"] = "Bearer " .. M.token,
    ["Api-key"] = M.api_key,
    ["Content-Type"] = "application/json",
  }
  for k, v in pairs(extra or {}) do h[k] = v end
  return h
end

-- This thread's phones: +38067 and 7 digits, from its own slice of the 10^7 numbers, starting at a
-- random point of the slice (the generator seeded from the thread's id and the clock) and walking it
-- in order, so that no phone repeats within a run, in this thread or another.
function M.phones()
  local slice = math.floor(10000000 / M.thread_count)
  local base = id * slice
  local offset = math.random(0, slice - 1)
  local n = 0
  return function()
    local number = base + (offset + n) % slice
    n = n + 1
    return string.format("+38067%07d", number)
  end
end

-- This thread's share of a prepared file (one record a line): lines id, id + threads, ...
function M.records(env_name)
  local mine = {}
  local i = 0
  for line in io.lines(os.getenv(env_name)) do
    if i % M.thread_count == id then mine[#mine + 1] = line end
    i = i + 1
  end
  return mine
end

-- One record after another; past the end they repeat (their calls then count as unexpected).
function M.cycle(list)
  local n = 0
  return function()
    n = n + 1
    return list[(n - 1) % #list + 1]
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function M.install(expected, request_fn, init_fn)
  expected = expected or { [200] = true }
  _G.setup = function(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    threads[#threads + 1] = thread
  end
  _G.init = function(args)
    -- each thread its own seed: one seed for all would send the same phones from every thread
    math.randomseed(os.time() * 1000 + id * 7919 + math.floor(os.clock() * 1000000))
    unexpected = 0
    samples = ""
    if init_fn then init_fn() end
  end
  _G.request = request_fn
  _G.response = function(status, headers, body)
    if not expected[status] then
      unexpected = unexpected + 1
      if #samples < 400 then samples = samples .. status .. " " .. string.sub(body, 1, 160) .. "\n" end
    end
  end
  _G.done = function(summary, latency, requests)
    local failures, sample = 0, ""
    for _, thread in ipairs(threads) do
      failures = failures + thread:get("unexpected")
      sample = sample .. thread:get("samples")
    end
    local errors = summary.errors
    local out = io.open(os.getenv("BENCH_WRK_OUT"), "w")
    out:write(string.format(
      '{"requests": %d, "duration_us": %d, "failures": %d, "socket_errors": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "sample": %s}\n',
      summary.requests, summary.duration, failures,
      errors.connect + errors.read + errors.write + errors.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      json_string(sample)
    ))
    out:close()
  end
end

return M
