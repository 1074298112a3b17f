-- wrk script of bench/load.py: POSTs pre-built CloudEvents bodies to ingest and counts what
-- ingest answered accepted. Not meant to be run by hand, but it can be:
--
--   wrk -t1 -c8 -d13s --timeout 30s -s bench/load/events.lua http://127.0.0.1:33004/v1/events -- \
--       BODIES CONTENT_TYPE EVENTS_PER_BODY TAG TOKEN SEND_S THREADS [RATE]
--
-- BODIES: a file of request bodies, one a line (bench/load_measure.py write_bodies); every id
--   and subject in it starts with the marker "@@", replaced on each request by
--   "<TAG>.<thread>.<lap>-", so every request carries ids never sent before in the run (the list
--   is cycled: lap counts the cycles). TAG names the phase or step, so ClickHouse can be asked
--   how many of its events arrived (ids starting with "<TAG>.").
-- CONTENT_TYPE: application/cloudevents+json (one event a body) or
--   application/cloudevents-batch+json (a JSON array). EVENTS_PER_BODY: events in every body.
-- SEND_S: new requests go out during this many seconds only; wrk's -d must be longer (a few
--   seconds of grace), so that every request sent is answered before wrk stops and every
--   accepted event is counted (wrk drops the requests in flight when -d ends).
-- THREADS: wrk's -t again (each thread starts at its own place in the list and keeps 1/THREADS
--   of RATE).
-- RATE (optional, requests/s over all threads): open loop on a fixed schedule, request k due at
--   start + k / rate (wrk's delay() holds a connection until its request is due; enough
--   connections keep it on time, and `late_max_ms` tells if not). Without RATE: closed loop,
--   every connection sends its next request as soon as the previous one was answered.
--
-- done() prints one line "WRK_RESULT {json}" that bench/load.py reads: requests answered and
-- still unanswered when wrk stopped (their events may be accepted but are not counted),
-- accepted events (the answers' "accepted"), answers other than 200 and a sample of one, wrk's
-- socket errors, latency percentiles (microseconds, from a request's write to its answer), the
-- sending window (from the first request to the last answer, the longest over the threads) and
-- when it started (CLOCK_MONOTONIC, the clock of Python's time.monotonic()).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } hotline_load_timespec;
int clock_gettime(int clk_id, hotline_load_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("hotline_load_timespec")

local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

-- main state: one entry per thread, read back in done()
local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
end

-- thread state. Globals, not locals: done() reads them with thread:get().
bodies, count, per_body, tag = {}, 0, 1, "x"
i, lap = 0, 0
send_ms, interval_ms = 0, nil
started, stop_at, next_due = nil, nil, nil
sent, answered, accepted, partial, non200 = 0, 0, 0, 0, 0
last_answer, late_max, sample = nil, 0, ""

function init(args)
    local path, content_type = args[1], args[2]
    per_body, tag = tonumber(args[3]), args[4]
    local token = args[5]
    send_ms = tonumber(args[6]) * 1000
    local nthreads = tonumber(args[7]) or 1
    if args[8] then
        interval_ms = 1000 / tonumber(args[8]) * nthreads -- this thread's share of the rate
    end
    tid = tonumber(tid) or 1
    for line in io.lines(path) do
        if #line > 0 then
            count = count + 1
            bodies[count] = line
        end
    end
    if count == 0 then
        error("no bodies in " .. path)
    end
    -- threads start at different places of the list (each thread's ids differ anyway)
    i = math.floor((tid - 1) * count / nthreads)
    wrk.method = "POST"
    wrk.headers["Content-Type"] = content_type
    wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
    i = i + 1
    if i > count then
        i, lap = 1, lap + 1
    end
    local body = bodies[i]:gsub("@@", tag .. "." .. tid .. "." .. lap .. "-")
    sent = sent + 1
    return wrk.format(nil, nil, nil, body)
end

function delay()
    local now = now_ms()
    if not started then
        started = now
        stop_at = now + send_ms
        next_due = now
    end
    if now >= stop_at then
        return 3600 * 1000 -- sending window over: this connection waits until wrk stops
    end
    if not interval_ms then
        return 0
    end
    local due = next_due
    next_due = next_due + interval_ms
    if due >= stop_at then
        return 3600 * 1000
    end
    if now > due then
        late_max = math.max(late_max, now - due)
        return 0
    end
    return due - now
end

function response(status, headers, body)
    answered = answered + 1
    last_answer = now_ms()
    if status == 200 then
        local n = tonumber(string.match(body, '"accepted":%s*(%d+)')) or 0
        accepted = accepted + n
        if n ~= per_body then
            partial = partial + 1
        end
    else
        non200 = non200 + 1
        if sample == "" then
            sample = status .. " " .. string.sub(body or "", 1, 200)
        end
    end
end

local function json_string(s)
    s = tostring(s or "")
    s = s:gsub('[%c"\\]', function(c)
        if c == '"' then return '\\"' end
        if c == "\\" then return "\\\\" end
        return string.format("\\u%04x", string.byte(c))
    end)
    return '"' .. s .. '"'
end

function done(summary, latency, requests)
    local t = { sent = 0, answered = 0, accepted = 0, partial = 0, non200 = 0 }
    local rate, window_max, late, samples, start = 0, 0, 0, {}, nil
    for _, thread in ipairs(threads) do
        for k, _ in pairs(t) do
            t[k] = t[k] + (tonumber(thread:get(k)) or 0)
        end
        local first, last = tonumber(thread:get("started")), tonumber(thread:get("last_answer"))
        local n = tonumber(thread:get("answered")) or 0
        if first then
            start = math.min(start or first, first)
        end
        if first and last and last > first then
            rate = rate + n / ((last - first) / 1000)
            window_max = math.max(window_max, (last - first) / 1000)
        end
        late = math.max(late, tonumber(thread:get("late_max")) or 0)
        local s = thread:get("sample")
        if s and s ~= "" then
            table.insert(samples, s)
        end
    end
    local e = summary.errors
    local parts = {
        '"threads":' .. #threads,
        '"answered":' .. t.answered,
        -- wrk asks the first thread for one request before it starts, to check it; never sent
        '"unanswered":' .. math.max(0, t.sent - 1 - t.answered),
        '"accepted_events":' .. t.accepted,
        '"partial":' .. t.partial,
        '"non200":' .. t.non200,
        '"requests_per_s":' .. string.format("%.2f", rate),
        '"window_s":' .. string.format("%.3f", window_max),
        '"start_monotonic_s":' .. string.format("%.3f", (start or 0) / 1000),
        '"late_max_ms":' .. string.format("%.1f", late),
        '"wrk_requests":' .. summary.requests,
        '"wrk_duration_s":' .. string.format("%.3f", summary.duration / 1e6),
        '"errors":{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write
            .. ',"status":' .. e.status .. ',"timeout":' .. e.timeout .. '}',
        '"latency_us":{"p50":' .. latency:percentile(50) .. ',"p90":' .. latency:percentile(90)
            .. ',"p95":' .. latency:percentile(95) .. ',"p99":' .. latency:percentile(99)
            .. ',"p999":' .. latency:percentile(99.9) .. ',"max":' .. latency.max
            .. ',"mean":' .. string.format("%.1f", latency.mean) .. '}',
        '"sample":' .. json_string(samples[1] or ""),
    }
    io.write("WRK_RESULT {" .. table.concat(parts, ",") .. "}\n")
end
