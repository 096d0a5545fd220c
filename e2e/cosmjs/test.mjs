// CosmJS, unmodified from npm, against a running `tesserad start --dev`: connect, read the
// chain id, query a balance and the market's state, execute market messages with
// `fee: "auto"` (Simulate) and wait for them (tx_search), and get a bad message back as a
// readable error. Exits non-zero on the first failed check.
//
//   TESSERA_RPC=http://127.0.0.1:26657 node test.mjs
import { readFileSync } from "node:fs";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice } from "@cosmjs/stargate";

const rpc = process.env.TESSERA_RPC ?? "http://127.0.0.1:26657";
const devAccounts = JSON.parse(
  readFileSync(new URL("../../chain-config/dev-accounts.json", import.meta.url)),
).accounts;
const account = (name) => devAccounts.find((a) => a.name === name);
const MARKET_CODE_ID = 2; // registry, market, governance are stored in that order at genesis

let step = "";
function check(condition, what) {
  if (!condition) throw new Error(`${step}: ${what}`);
}

async function main() {
  step = "connect";
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account("alice").mnemonic, {
    prefix: "tessera",
  });
  const [{ address: alice }] = await wallet.getAccounts();
  check(alice === account("alice").address, `mnemonic gives ${alice}`);
  const client = await SigningCosmWasmClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString("0.025utsr"),
  });

  step = "chain id";
  const chainId = await client.getChainId();
  check(chainId === "tessera-dev-1", `got ${chainId}`);
  console.log(`ok   connected to ${chainId} at height ${await client.getHeight()}`);

  step = "balance";
  const before = await client.getBalance(alice, "utsr");
  check(BigInt(before.amount) > 0n, `alice has ${before.amount}`);
  console.log(`ok   alice has ${before.amount}utsr`);

  step = "market state";
  const [market] = await client.getContracts(MARKET_CODE_ID);
  check(market, "no contract of the market code");
  const params = await client.queryContractSmart(market, { params: {} });
  check(typeof params.take_rate_bps === "number", JSON.stringify(params));
  console.log(`ok   market ${market}: take rate ${params.take_rate_bps} bps`);

  step = "bank send with fee auto";
  const bob = account("bob").address;
  const sent = await client.sendTokens(alice, bob, [{ denom: "utsr", amount: "1234" }], "auto");
  check(sent.code === 0, `code ${sent.code}: ${sent.rawLog} (gas ${sent.gasUsed}/${sent.gasWanted})`);
  console.log(`ok   sent 1234utsr to bob in ${sent.transactionHash} at height ${sent.height}`);

  step = "create_deployment with fee auto";
  const dseq = Date.now();
  const group = {
    name: "train",
    resources: {
      cpu_millis: 4000,
      memory_mib: 16384,
      gpu: { units: 1, models: [{ vendor: "nvidia", model: "h100" }] },
    },
    count: 1,
    max_price: "3600000",
  };
  const created = await client.execute(
    alice,
    market,
    {
      create_deployment: {
        dseq,
        groups: [group],
        manifest_hash: "11".repeat(32),
        bid_window_secs: 30,
      },
    },
    "auto",
    "e2e",
    [{ denom: "utsr", amount: "5000000" }],
  );
  check(created.height > 0, "no height");
  const wasmEvent = created.events.find((e) => e.type === "wasm");
  check(wasmEvent, `no wasm event in ${JSON.stringify(created.events)}`);
  console.log(`ok   deployment ${dseq} created in ${created.transactionHash}, gas ${created.gasUsed}`);

  step = "query the deployment";
  const deployment = await client.queryContractSmart(market, {
    deployment: { owner: alice, dseq },
  });
  check(JSON.stringify(deployment).includes(String(dseq)), JSON.stringify(deployment));
  console.log(`ok   the market has the deployment`);

  step = "find the tx";
  const found = await client.getTx(created.transactionHash);
  check(found && found.height === created.height, "getTx did not find it");
  console.log(`ok   getTx finds it at height ${found.height}`);

  step = "bad message";
  try {
    await client.execute(
      alice,
      market,
      { close_deployment: { dseq: 999999 } },
      "auto",
    );
    check(false, "a close of a missing deployment was accepted");
  } catch (err) {
    const message = String(err.message ?? err);
    check(/not found|does not exist/i.test(message), `unreadable error: ${message}`);
    console.log(`ok   bad message refused: ${message.slice(0, 160)}`);
  }
  console.log("cosmjs e2e: all checks passed");
}

main().catch((err) => {
  console.error(`FAIL ${err.stack ?? err}`);
  process.exit(1);
});
