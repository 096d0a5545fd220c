// A small load run: abci_query (a bank balance, through CometBFT's JSON-RPC) at a fixed rate,
// reporting the latency distribution, and the block interval over the same period.
//
//   node load.mjs [RATE_PER_SEC] [SECONDS]
import { readFileSync } from "node:fs";

const rpc = process.env.TESSERA_RPC ?? "http://127.0.0.1:26657";
const rate = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 10);
const alice = JSON.parse(
  readFileSync(new URL("../../chain-config/dev-accounts.json", import.meta.url)),
).accounts.find((a) => a.name === "alice").address;

// QueryBalanceRequest{address, denom} as protobuf: field 1 and 2, length-delimited strings.
function balanceRequest(address, denom) {
  const field = (tag, s) => [tag, s.length, ...Buffer.from(s)];
  return Buffer.from([...field(0x0a, address), ...field(0x12, denom)]).toString("hex");
}

async function status() {
  const res = await fetch(`${rpc}/status`);
  const { result } = await res.json();
  return {
    height: Number(result.sync_info.latest_block_height),
    time: Date.parse(result.sync_info.latest_block_time),
  };
}

async function query() {
  const data = balanceRequest(alice, "utsr");
  const started = performance.now();
  const res = await fetch(rpc, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "abci_query",
      params: { path: "/cosmos.bank.v1beta1.Query/Balance", data, height: "0", prove: false },
    }),
  });
  const body = await res.json();
  const took = performance.now() - started;
  if (body.error || body.result.response.code !== 0) {
    throw new Error(`abci_query failed: ${JSON.stringify(body.error ?? body.result.response)}`);
  }
  return took;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const first = await status();
  const latencies = [];
  const pending = [];
  const total = rate * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(query().then((ms) => latencies.push(ms)));
  }
  await Promise.all(pending);
  const last = await status();
  latencies.sort((a, b) => a - b);
  const blocks = last.height - first.height;
  const interval = blocks > 0 ? (last.time - first.time) / blocks / 1000 : NaN;
  console.log(
    `abci_query latency at ${rate}/s for ${seconds} s (${latencies.length} queries): ` +
      `p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ` +
      `max ${latencies[latencies.length - 1].toFixed(2)} ms`,
  );
  console.log(`block interval: ${interval.toFixed(3)} s over ${blocks} blocks`);
}

main().catch((err) => {
  console.error(`FAIL ${err.stack ?? err}`);
  process.exit(1);
});
