"""cosmpy (PyPI, unmodified) over gRPC against a running `tesserad start --dev`.

Connects, reads the chain id, queries a balance and the market contract, derives alice's
key from her mnemonic, and sends 777utsr from alice to bob with the gas estimated by
simulation, waiting for the tx; then lists and describes the services through server
reflection (grpcio-reflection, as grpcurl would). Prints one "ok ..." line per check; on the first failure
prints "FAIL <step>: <reason>" and exits 1.

    TESSERA_GRPC=127.0.0.1:9090 .venv/bin/python test.py      (or: ./run.sh)

TESSERA_GRPC is host:port of the node's plaintext gRPC server (default 127.0.0.1:9090);
TESSERA_GRPC_PORT alone gives 127.0.0.1:PORT.
"""

import collections
import json
import os
import socket
import sys
import time
import traceback
from pathlib import Path

import grpc
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from cosmpy.aerial.client import LedgerClient, NetworkConfig
from cosmpy.aerial.contract import LedgerContract
from cosmpy.aerial.exceptions import BroadcastError, QueryTimeoutError
from cosmpy.aerial.wallet import LocalWallet
from cosmpy.crypto.address import Address
from cosmpy.protos.cosmos.auth.v1beta1.query_pb2_grpc import QueryStub as AuthStub
from cosmpy.protos.cosmos.bank.v1beta1.query_pb2_grpc import QueryStub as BankStub
from cosmpy.protos.cosmos.base.tendermint.v1beta1.query_pb2 import GetNodeInfoRequest
from cosmpy.protos.cosmos.base.tendermint.v1beta1.query_pb2_grpc import (
    ServiceStub as TendermintStub,
)
from cosmpy.protos.cosmos.consensus.v1.query_pb2_grpc import QueryStub as ConsensusStub
from cosmpy.protos.cosmos.distribution.v1beta1.query_pb2_grpc import (
    QueryStub as DistributionStub,
)
from cosmpy.protos.cosmos.params.v1beta1.query_pb2_grpc import QueryStub as ParamsStub
from cosmpy.protos.cosmos.staking.v1beta1.query_pb2_grpc import QueryStub as StakingStub
from cosmpy.protos.cosmos.tx.v1beta1.service_pb2_grpc import ServiceStub as TxStub
from cosmpy.protos.cosmwasm.wasm.v1.query_pb2 import QueryContractsByCodeRequest
from cosmpy.protos.cosmwasm.wasm.v1.query_pb2_grpc import QueryStub as WasmStub

CHAIN_ID = "tessera-dev-1"
PREFIX = "tessera"
DENOM = "utsr"
MIN_GAS_PRICE = 0.025
MARKET_CODE_ID = 2  # registry, market, governance are stored in that order at genesis
SEND_AMOUNT = 777
CONNECT_TIMEOUT_S = 10  # to reach the server at all
CALL_DEADLINE_S = 10  # for each gRPC call cosmpy makes
TX_TIMEOUT_S = 60  # for the sent tx to be found by GetTx

DEV_ACCOUNTS = Path(__file__).resolve().parents[2] / "chain-config" / "dev-accounts.json"


class CheckFailed(Exception):
    pass


# The services the node serves, all of which reflection must describe.
SERVED_SERVICES = (
    "cosmos.auth.v1beta1.Query",
    "cosmos.bank.v1beta1.Query",
    "cosmos.tx.v1beta1.Service",
    "cosmwasm.wasm.v1.Query",
    "cosmos.base.tendermint.v1beta1.Service",
    "cosmos.consensus.v1.Query",
)


def check(condition, what):
    if not condition:
        raise CheckFailed(what)


def grpc_target():
    target = os.environ.get("TESSERA_GRPC")
    if not target:
        target = f"127.0.0.1:{os.environ.get('TESSERA_GRPC_PORT', '9090')}"
    for scheme in ("grpc+http://", "http://"):
        if target.startswith(scheme):
            target = target[len(scheme) :]
    return target.rstrip("/")


class _CallDetails(
    collections.namedtuple(
        "_CallDetails",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,
):
    pass


class Deadlines(grpc.UnaryUnaryClientInterceptor):
    """Gives every unary call a deadline (cosmpy sets none, so a stuck server would hang the
    test) and remembers the calls that failed, so that a failure names the RPC."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.failed = []  # "method: CODE details"

    def intercept_unary_unary(self, continuation, details, request):
        timeout = details.timeout if details.timeout is not None else self.seconds
        new = _CallDetails(
            details.method,
            timeout,
            details.metadata,
            details.credentials,
            getattr(details, "wait_for_ready", None),
            getattr(details, "compression", None),
        )
        outcome = continuation(new, request)
        error = outcome.exception()
        if error is not None:
            method = details.method.decode() if isinstance(details.method, bytes) else details.method
            code = error.code().name if hasattr(error, "code") else type(error).__name__
            text = error.details() if hasattr(error, "details") else str(error)
            self.failed.append(f"{method}: {code} {text}")
        return outcome


def with_deadlines(client, channel):
    """Points the LedgerClient's gRPC stubs (the attributes its constructor sets for a
    grpc+http url) at `channel`, which carries the Deadlines interceptor. All of cosmpy's
    own logic (simulation, signing, broadcast, polling) still runs unchanged."""
    client.wasm = WasmStub(channel)
    client.auth = AuthStub(channel)
    client.txs = TxStub(channel)
    client.bank = BankStub(channel)
    client.staking = StakingStub(channel)
    client.distribution = DistributionStub(channel)
    client.params = ParamsStub(channel)
    client.consensus = ConsensusStub(channel)
    client.tendermint = TendermintStub(channel)


def describe(err, deadlines):
    if isinstance(err, grpc.RpcError) and hasattr(err, "code"):
        text = f"gRPC {err.code().name}: {err.details()}"
    elif isinstance(err, CheckFailed):
        text = str(err)
    elif isinstance(err, BroadcastError):
        text = f"tx {err.tx_hash} failed: {type(err).__name__}: {err}"
    else:
        # Where in cosmpy it broke (e.g. an assert on a field the server left out).
        frame = traceback.extract_tb(err.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}: {frame.line}"
        text = f"{type(err).__name__}: {err} (at {where})"
    if deadlines is not None and deadlines.failed:
        text += "\n  failed gRPC calls: " + "\n                    ".join(deadlines.failed[-4:])
        if any(f.startswith("/cosmos.consensus.v1.Query/Params") for f in deadlines.failed):
            text += (
                "\n  (cosmpy's default gas strategy reads params.block.max_gas from"
                " cosmos.consensus.v1.Query/Params, falling back to cosmos.params.v1beta1.Query/Params)"
            )
    return text


def main():
    sys.stdout.reconfigure(line_buffering=True)  # "ok" lines before a "FAIL" when piped
    target = grpc_target()
    accounts = {a["name"]: a for a in json.loads(DEV_ACCOUNTS.read_text())["accounts"]}
    alice, bob = accounts["alice"], accounts["bob"]
    deadlines = None
    step = "connect"
    try:
        # -- 1. connect ------------------------------------------------------------------
        host, _, port = target.rpartition(":")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
        except (OSError, ValueError) as err:
            raise CheckFailed(
                f"cannot reach {target}: {err} "
                "(is `tesserad start --dev` running with gRPC there? set TESSERA_GRPC=host:port)"
            ) from None
        channel = grpc.insecure_channel(target)
        try:
            grpc.channel_ready_future(channel).result(timeout=CONNECT_TIMEOUT_S)
        except grpc.FutureTimeoutError:
            raise CheckFailed(
                f"{target} accepts TCP but no gRPC (HTTP/2) channel came up within {CONNECT_TIMEOUT_S} s"
            ) from None
        deadlines = Deadlines(CALL_DEADLINE_S)
        channel = grpc.intercept_channel(channel, deadlines)

        cfg = NetworkConfig(
            chain_id=CHAIN_ID,
            url=f"grpc+http://{target}",
            fee_minimum_gas_price=MIN_GAS_PRICE,
            fee_denomination=DENOM,
            staking_denomination=DENOM,
        )
        client = LedgerClient(cfg)
        with_deadlines(client, channel)

        step = "chain id"
        block = client.query_latest_block()
        check(block.chain_id == CHAIN_ID, f"GetLatestBlock says chain id {block.chain_id!r}")
        check(block.height > 0, f"GetLatestBlock says height {block.height}")
        check(block.time.year >= 2020, f"GetLatestBlock says time {block.time.isoformat()}")
        node = client.tendermint.GetNodeInfo(GetNodeInfoRequest())
        network = node.default_node_info.network
        check(network == CHAIN_ID, f"GetNodeInfo says network {network!r}")
        print(f"ok   connected to {target}: {block.chain_id} at height {block.height}, {block.time:%Y-%m-%dT%H:%M:%SZ}")

        # -- 2. balance ------------------------------------------------------------------
        step = "balance"
        alice_addr = Address(alice["address"])
        alice_before = client.query_bank_balance(alice_addr, DENOM)
        check(alice_before > 0, f"alice has {alice_before}{DENOM}")
        print(f"ok   alice has {alice_before}{DENOM}")

        # -- 3. market contract ----------------------------------------------------------
        step = "market contract"
        found = client.wasm.ContractsByCode(QueryContractsByCodeRequest(code_id=MARKET_CODE_ID))
        check(len(found.contracts) > 0, f"no contract of code {MARKET_CODE_ID}")
        market = LedgerContract(None, client, address=Address(found.contracts[0]))
        params = market.query({"params": {}})
        rate = params.get("take_rate_bps") if isinstance(params, dict) else None
        check(isinstance(rate, int) and not isinstance(rate, bool), f"params: {json.dumps(params)}")
        print(f"ok   market {market.address}: take rate {rate} bps")

        # -- 4. wallet from mnemonic -----------------------------------------------------
        step = "wallet"
        wallet = LocalWallet.from_mnemonic(alice["mnemonic"], prefix=PREFIX)
        check(
            str(wallet.address()) == alice["address"],
            f"alice's mnemonic gives {wallet.address()}, dev-accounts.json says {alice['address']}",
        )
        account = client.query_account(wallet.address())
        print(f"ok   alice's mnemonic gives {wallet.address()} (account {account.number}, sequence {account.sequence})")

        # -- 5. send with gas from simulation --------------------------------------------
        step = "send"
        bob_addr = Address(bob["address"])
        bob_before = client.query_bank_balance(bob_addr, DENOM)
        started = time.monotonic()
        tx = client.send_tokens(bob_addr, SEND_AMOUNT, DENOM, wallet)
        try:
            tx.wait_to_complete(timeout=TX_TIMEOUT_S, poll_period=0.5)
        except QueryTimeoutError:
            raise CheckFailed(f"tx {tx.tx_hash} not found by GetTx within {TX_TIMEOUT_S} s") from None
        res = tx.response
        check(res.height > 0, f"tx {tx.tx_hash}: height {res.height}")
        bob_after = client.query_bank_balance(bob_addr, DENOM)
        check(
            bob_after - bob_before == SEND_AMOUNT,
            f"bob had {bob_before}, has {bob_after}: grew by {bob_after - bob_before}, not {SEND_AMOUNT}",
        )
        alice_after = client.query_bank_balance(alice_addr, DENOM)
        print(
            f"ok   sent {SEND_AMOUNT}{DENOM} to bob in {tx.tx_hash} at height {res.height} "
            f"(gas {res.gas_used}/{res.gas_wanted}, alice paid {alice_before - alice_after - SEND_AMOUNT}{DENOM} in fees, "
            f"{time.monotonic() - started:.1f} s)"
        )

        # -- 6. server reflection, as grpcurl uses it -------------------------------------
        step = "reflection"
        reflection_db = ProtoReflectionDescriptorDatabase(grpc.insecure_channel(target))
        services = set(reflection_db.get_services())
        missing = sorted(set(SERVED_SERVICES) - services)
        check(not missing, f"reflection lists {sorted(services)}, missing {missing}")
        pool = DescriptorPool(reflection_db)
        balance = pool.FindMethodByName("cosmos.bank.v1beta1.Query.Balance")
        check(
            balance.input_type.full_name == "cosmos.bank.v1beta1.QueryBalanceRequest",
            f"Balance takes {balance.input_type.full_name}",
        )
        smart = pool.FindMethodByName("cosmwasm.wasm.v1.Query.SmartContractState")
        print(f"ok   reflection describes {len(services)} services, e.g. {smart.full_name}({smart.input_type.name})")
    except Exception as err:  # pylint: disable=broad-except  # every failure reads the same
        print(f"FAIL {step}: {describe(err, deadlines)}", file=sys.stderr)
        return 1
    print("cosmpy e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
