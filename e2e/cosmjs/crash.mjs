// Helpers of the crash test in e2e/run.sh, with CosmJS from npm.
//
//   node crash.mjs stream FILE   sign bob→alice sends and broadcast them (broadcast_tx_sync)
//                                until the node stops answering; append each accepted tx
//                                (hash, amount) to FILE as a JSON line
//   node crash.mjs verify FILE   after a restart: every accepted tx is on chain at most once,
//                                and bob's sequence and alice's receipts match exactly the
//                                txs found, so nothing committed was lost or applied twice
import { appendFileSync, readFileSync, existsSync } from "node:fs";
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
const [mode, file] = process.argv.slice(2);
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

async function verify() {
  const sent = existsSync(file)
    ? readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))
    : [];
  if (sent.length === 0) throw new Error("no tx was accepted before the crash");
  const client = await StargateClient.connect(rpc);
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
      `(${foundTotal}utsr), ${sent.length - found} dropped with the mempool`,
  );
  if (found === 0) throw new Error("no tx of the stream was committed");
}

const run = mode === "stream" ? stream : mode === "verify" ? verify : null;
if (!run || !file) {
  console.error("usage: node crash.mjs stream|verify FILE");
  process.exit(2);
}
run().catch((err) => {
  console.error(`FAIL ${err.stack ?? err}`);
  process.exit(1);
});
