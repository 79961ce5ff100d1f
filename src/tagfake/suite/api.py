"""Calling a vendor's operations by operationId, checking every answer against the spec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from tagfake.contract.spec import OperationContract, VendorContract
from tagfake.suite.http import NO_BODY, Http
from tagfake.suite.model import Deviation, Exchange

DEFAULT: Any = object()
#: Send no credential at all.
ANONYMOUS: Any = object()


@dataclass
class Reply:
    operation: str
    exchange: Exchange
    body: Any

    @property
    def status(self) -> int:
        return self.exchange.status

    def short(self, limit: int = 200) -> str:
        return self.exchange.answer(limit)


def auth_headers(vendor: str, credential: str) -> dict[str, str]:
    if vendor == "nexor":
        return {"X-API-Key": credential}
    return {"Authorization": f"Bearer {credential}"}


class Api:
    """One vendor's operations, as one credential, on one target."""

    def __init__(
        self,
        vendor: str,
        http: Http,
        contract: VendorContract,
        prefix: str,
        credential: str,
    ) -> None:
        self.vendor = vendor
        self.http = http
        self.contract = contract
        self.prefix = prefix.rstrip("/")
        self.credential = credential

    def as_credential(self, credential: str) -> Api:
        return Api(self.vendor, self.http, self.contract, self.prefix, credential)

    def url(self, op: OperationContract, params: Mapping[str, Any] | None) -> str:
        path = op.path
        for name, value in (params or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        return self.prefix + path

    def call(
        self,
        operation_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        body: Any = NO_BODY,
        query: Mapping[str, str] | None = None,
        credential: Any = DEFAULT,
        headers: Mapping[str, str] | None = None,
        raw: bytes | None = None,
        check: bool = True,
    ) -> Reply:
        op = self.contract.operations[operation_id]
        url = self.url(op, params)
        if query:
            url += "?" + urlencode(query)
        sent: dict[str, str] = {}
        if credential is not ANONYMOUS:
            sent.update(
                auth_headers(self.vendor, self.credential if credential is DEFAULT else credential)
            )
        sent.update(headers or {})
        exchange = self.http.send(op.method.upper(), url, body=body, raw=raw, headers=sent)
        reply = Reply(operation_id, exchange, exchange.json())
        if check:
            conform(self.vendor, op, reply)
        return reply


def conform(vendor: str, op: OperationContract, reply: Reply) -> None:
    """The answer's status is documented for the operation and its body fits that response."""
    status = reply.status
    documented, schema = op.response_schema(status)
    if not documented:
        statuses = ", ".join(sorted(op.responses))
        raise Deviation(
            f"{vendor} {op.operation_id} answers one of {statuses}",
            f"status {status} ({reply.short(160)})",
        )
    if schema is None:
        return
    if reply.body is None and reply.exchange.response_body.strip():
        raise Deviation(f"{vendor} {op.operation_id} {status} answers JSON", f"{reply.short(160)}")
    problems = schema.violations(reply.body, limit=3)
    if problems:
        raise Deviation(
            f"{vendor} {op.operation_id} {status} body as in the spec",
            f"{'; '.join(str(p) for p in problems)} in {reply.short(160)}",
        )


def expect(reply: Reply, status: int, what: str) -> None:
    """The documented status, or a one-line deviation naming what was documented."""
    if reply.status != status:
        raise Deviation(f"{what} → {status}", reply.short())
