// Helpers of the crash test in e2e/run.sh, with CosmJS from npm.
//
//   node crash.mjs stream FILE   sign bob→alice sends and broadcast them (broadcast_tx_sync)
//                                until the node stops answering; append each accepted tx
//                                (hash, amount) to FILE as a JSON line
//   node crash.mjs snapshot FILE SNAP
//                                just before the kill: which accepted txs are committed (and
//                                at what height), the last height and its app hash, into SNAP
//   node crash.mjs verify FILE SNAP
//                                after a restart: every tx committed before the crash is still
//                                there exactly once at the same height, the app hash of the last
//                                height before the crash is unchanged, every accepted tx is on
//                                chain at most once, and the sender's txs found by event match
//                                those found by hash
import { appendFileSync, readFileSync, existsSync, writeFileSync } from "node:fs";
import { toHex } from "@cosmjs/encoding";
import { sha256 } from "@cosmjs/crypto";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx.js";

const rpc = process.env.TESSERA_RPC ?? "http://127.0.0.1:26657";
const devAccounts = JSON.parse(
  readFileSync(new URL("../../chain-config/dev-accounts.json", import.meta.url)),
).accounts;
const account = (name) => devAccounts.find((a) => a.name === name);
const [mode, file, snapFile] = process.argv.slice(2);
const MEMO = "crash-test";

async function stream() {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account("bob").mnemonic, {
    prefix: "tessera",
  });
  const [{ address: bob }] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(rpc, wallet);
  const chainId = await client.getChainId();
  const { accountNumber, sequence } = await client.getSequence(bob);
  const fee = { amount: [{ denom: "utsr", amount: "2500" }], gas: "100000" };
  for (let i = 0; ; i++) {
    const amount = String(1_000 + i);
    const signed = await client.sign(
      bob,
      [
        {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: { fromAddress: bob, toAddress: account("alice").address, amount: [{ denom: "utsr", amount }] },
        },
      ],
      fee,
      MEMO,
      { accountNumber, sequence: sequence + i, chainId },
    );
    const bytes = TxRaw.encode(signed).finish();
    try {
      await client.broadcastTxSync(bytes);
    } catch (err) {
      console.log(`stream: stopped after ${i} txs: ${String(err.message ?? err).slice(0, 120)}`);
      return;
    }
    appendFileSync(file, JSON.stringify({ hash: toHex(sha256(bytes)).toUpperCase(), amount }) + "\n");
    await new Promise((r) => setTimeout(r, 40));
  }
}

function accepted() {
  return existsSync(file)
    ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))
    : [];
}

async function rpcResult(path) {
  const body = await (await fetch(`${rpc}${path}`)).json();
  if (body.error) throw new Error(`${path}: ${JSON.stringify(body.error)}`);
  return body.result;
}

// The app hash the app answered for block `height` (FinalizeBlock), as hex.
async function appHashOf(height) {
  const b64 = (await rpcResult(`/block_results?height=${height}`)).app_hash;
  return Buffer.from(b64, "base64").toString("hex").toUpperCase();
}

// The app hash after `height` as the chain recorded it: in the header of the next block,
// which after a crash is built on the restarted app's state.
async function appHashInNextHeader(height) {
  return (await rpcResult(`/block?height=${height + 1}`)).block.header.app_hash;
}

async function snapshot() {
  const client = await StargateClient.connect(rpc);
  const committed = {};
  for (const { hash } of accepted()) {
    const hits = await client.searchTx(`tx.hash='${hash}'`);
    if (hits.length === 1) committed[hash] = hits[0].height;
  }
  const status = await rpcResult("/status");
  // CometBFT stores a block before the app has executed it, so the latest height may have no
  // results yet; the height below it always has.
  let height = Number(status.sync_info.latest_block_height);
  let appHash;
  try {
    appHash = await appHashOf(height);
  } catch (err) {
    if (!String(err.message).includes("could not find results")) throw err;
    height -= 1;
    appHash = await appHashOf(height);
  }
  writeFileSync(snapFile, JSON.stringify({ committed, height, appHash }));
}

async function verify() {
  const sent = accepted();
  if (sent.length === 0) throw new Error("no tx was accepted before the crash");
  const snap = JSON.parse(readFileSync(snapFile, "utf8"));
  const client = await StargateClient.connect(rpc);
  for (const [hash, height] of Object.entries(snap.committed)) {
    const hits = await client.searchTx(`tx.hash='${hash}'`);
    if (hits.length !== 1 || hits[0].height !== height) {
      throw new Error(
        `tx ${hash}, committed at height ${height} before the crash, is now found ${hits.length} ` +
          `time(s)${hits.length ? ` at height ${hits[0].height}` : ""}`,
      );
    }
  }
  const appHash = await appHashInNextHeader(snap.height);
  if (appHash !== snap.appHash) {
    throw new Error(`app hash after height ${snap.height} was ${snap.appHash}, is now ${appHash}`);
  }
  let found = 0;
  let foundTotal = 0n;
  for (const { hash, amount } of sent) {
    const hits = await client.searchTx(`tx.hash='${hash}'`);
    if (hits.length > 1) throw new Error(`tx ${hash} is on chain ${hits.length} times`);
    if (hits.length === 1) {
      if (hits[0].code !== 0) throw new Error(`tx ${hash} failed on chain: ${hits[0].rawLog}`);
      found += 1;
      foundTotal += BigInt(amount);
    }
  }
  // Every committed send used one of bob's sequence numbers: the chain's count of bob's txs
  // must equal what was found, or a committed tx went missing (or ran twice).
  const onChain = await client.searchTx(`message.sender='${account("bob").address}'`);
  const crashTxs = onChain.filter((t) => sent.some((s) => s.hash === t.hash));
  if (crashTxs.length !== found) {
    throw new Error(`search by sender finds ${crashTxs.length} of the test's txs, by hash ${found}`);
  }
  console.log(
    `verify: ${sent.length} accepted before the crash, ${found} committed exactly once ` +
      `(${foundTotal}utsr; ${Object.keys(snap.committed).length} seen committed just before ` +
      `the kill, all still there; app hash after height ${snap.height} unchanged), ` +
      `${sent.length - found} dropped with the mempool`,
  );
  if (found === 0) throw new Error("no tx of the stream was committed");
}

const modes = { stream, snapshot, verify };
const run = modes[mode];
if (!run || !file || (mode !== "stream" && !snapFile)) {
  console.error("usage: node crash.mjs stream FILE | snapshot FILE SNAP | verify FILE SNAP");
  process.exit(2);
}
run().catch((err) => {
  console.error(`FAIL ${err.stack ?? err}`);
  process.exit(1);
});
