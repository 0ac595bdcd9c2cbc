"""The Lambda service: functions, their code, permissions and invocation.

Operations follow ``tidal.services.operation``. Besides them, the rest of tidal uses three
plain methods: ``function_spec`` and ``async_invoke_policy`` (delivery, once per event, so
served from a cache kept per function revision) and ``function_permits`` (S3, when a bucket
notification names a function).

tidal keeps only ``$LATEST`` of a function: ``Publish`` is accepted and ignored (no numbered
versions yet), and a qualifier other than ``$LATEST`` names nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tidal.delivery.async_invoke import KIND as ASYNC_INVOKE
from tidal.errors import AWSError
from tidal.runtime.pool import PoolClosed, WorkerPool
from tidal.runtime.spec import FunctionSpec
from tidal.services.environment import ServiceEnv
from tidal.services.lambda_ import event_invoke, store
from tidal.services.lambda_.code import CodePackage, CodeStore, check_zip
from tidal.services.lambda_.configuration import check_architectures, check_settings, default_logging_config
from tidal.services.lambda_.errors import (
    ValidationErrors,
    function_not_found,
    invalid_parameter,
    precondition_failed,
    resource_conflict,
    resource_not_found,
)
from tidal.services.lambda_.invoke import (
    DRY_RUN,
    EVENT,
    check_invoke_options,
    check_payload,
    decode_client_context,
    sync_response,
)
from tidal.services.lambda_.names import (
    FUNCTION_NAME_PATTERN,
    LATEST,
    NAMESPACED_FUNCTION_NAME_PATTERN,
    ResolvedName,
    function_arn,
    resolve_function_name,
    resolve_new_function_name,
)
from tidal.services.lambda_.policy import (
    allows_service_invoke,
    build_statement,
    policy_document,
    statement_json,
)
from tidal.services.lambda_.record import FunctionRecord, lambda_timestamp
from tidal.services.lambda_.runnables import RunnableCache
from tidal.services.operation import Call, awaits, reads, writes
from tidal.storage.database import Connection

SCHEMA = store.SCHEMA

S3_PRINCIPAL = "s3.amazonaws.com"

log = logging.getLogger("tidal.lambda")


class LambdaService:
    def __init__(self, env: ServiceEnv, pool: WorkerPool) -> None:
        self.env = env
        self.pool = pool
        self.code = CodeStore(env.config.data_dir / "functions")
        self.runnables = RunnableCache(env.db, self.code, env.config.region, env.config.account_id)
        # The event loop workers run on, learnt from the first invocation or delivery:
        # retiring workers after an update is scheduled there. No loop seen, no workers.
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- functions -------------------------------------------------------------------------

    @writes
    def create_function(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        name = resolve_new_function_name(params.get("FunctionName"), call.region, call.account_id)
        if params.get("PackageType", "Zip") != "Zip":
            raise invalid_parameter(
                "tidal runs .zip deployment packages only; PackageType Image is not supported."
            )
        settings = check_settings(params, creating=True)
        if store.function_exists(call.db, call.region, name):
            raise resource_conflict(f"Function already exist: {name}")
        tags = _tags(params.get("Tags"))
        package = _code_package(params.get("Code") or {})
        self.code.install(name, package)
        revision = self.env.ids.uuid4()
        record = FunctionRecord(
            region=call.region,
            account=call.account_id,
            name=name,
            runtime=settings.pop("runtime"),
            role=settings.pop("role"),
            handler=settings.pop("handler"),
            code_sha256_hex=package.sha256_hex,
            code_sha256=package.sha256_base64,
            code_size=package.size,
            last_modified=lambda_timestamp(call.now),
            revision_id=revision,
            runtime_revision=revision,
            logging_config={**default_logging_config(name), **settings.pop("logging_config", {})},
            tags=tags,
        ).updated(**settings)
        store.insert_function(call.db, record)
        self._invalidate_after_commit(call, record.region, name)
        return record.configuration()

    @reads
    def get_function(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        record = self._require(call, ref)
        zip_path = self.code.zip_path(record.name, record.code_sha256_hex).resolve()
        result: dict[str, Any] = {
            "Configuration": record.configuration(qualified=ref.qualifier is not None),
            # AWS hands out a presigned S3 URL; tidal's package is a local file.
            "Code": {"RepositoryType": "S3", "Location": zip_path.as_uri()},
        }
        if record.tags:
            result["Tags"] = dict(record.tags)
        return result

    @reads
    def get_function_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        return self._require(call, ref).configuration(qualified=ref.qualifier is not None)

    @reads
    def list_functions(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        errors = ValidationErrors()
        version = params.get("FunctionVersion")
        if version is not None and version != "ALL":
            errors.add(version, "functionVersion", "Member must satisfy enum value set: [ALL]")
        limit = params.get("MaxItems")
        if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= 10_000):
            errors.add(limit, "maxItems", "Member must have value between 1 and 10000")
        errors.raise_if_any()
        # Without MaxItems AWS returns up to 50 functions per page.
        records, more = store.list_functions(call.db, call.region, params.get("Marker"), limit or 50)
        if version == "ALL":
            functions = [
                {**r.list_item(), "FunctionArn": function_arn(r.region, r.account, r.name, LATEST)}
                for r in records
            ]
        else:
            functions = [r.list_item() for r in records]
        result: dict[str, Any] = {"Functions": functions}
        if more and records:
            result["NextMarker"] = records[-1].name
        return result

    @writes
    def delete_function(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        if ref.qualifier == LATEST:
            raise invalid_parameter("$LATEST version cannot be deleted without deleting the function.")
        record = self._require(call, ref)
        store.delete_function(call.db, record.region, record.name)
        self._invalidate_after_commit(call, record.region, record.name, retire=True)
        return {"StatusCode": 204}

    @writes
    def update_function_code(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params, pattern=FUNCTION_NAME_PATTERN, max_length=140)
        record = self._require(call, ref)
        _check_revision(params, record)
        changes: dict[str, Any] = {}
        if params.get("Architectures") is not None:
            errors = ValidationErrors()
            changes["architectures"] = check_architectures(errors, params["Architectures"])
            errors.raise_if_any()
        package = _code_package(params)
        revision = self.env.ids.uuid4()
        updated = record.updated(
            code_sha256_hex=package.sha256_hex,
            code_sha256=package.sha256_base64,
            code_size=package.size,
            last_modified=lambda_timestamp(call.now),
            revision_id=revision,
            runtime_revision=revision,
            **changes,
        )
        if params.get("DryRun"):
            # Checked, not applied: AWS answers a dry run with what the update would give.
            return updated.configuration()
        self.code.install(record.name, package)
        store.save_function(call.db, updated)
        self._invalidate_after_commit(call, record.region, record.name, retire=True)
        return updated.configuration()

    @writes
    def update_function_configuration(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params, pattern=FUNCTION_NAME_PATTERN, max_length=140)
        record = self._require(call, ref)
        _check_revision(params, record)
        settings = check_settings(params, creating=False)
        if "logging_config" in settings:
            settings["logging_config"] = {
                **(record.logging_config or default_logging_config(record.name)),
                **settings["logging_config"],
            }
        revision = self.env.ids.uuid4()
        updated = record.updated(
            last_modified=lambda_timestamp(call.now),
            revision_id=revision,
            runtime_revision=revision,
            **settings,
        )
        store.save_function(call.db, updated)
        self._invalidate_after_commit(call, record.region, record.name, retire=True)
        return updated.configuration()

    # -- resource policy -------------------------------------------------------------------

    @writes
    def add_permission(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        if ref.qualifier == LATEST:
            raise invalid_parameter("We currently do not support adding policies for $LATEST.")
        record = self._require(call, ref)
        _check_revision(params, record)
        statement = build_statement(record.arn, params)
        if store.statement_exists(call.db, record.region, record.name, statement["Sid"]):
            raise resource_conflict(
                f"The statement id ({statement['Sid']}) provided already exists. Please provide a new"
                " statement id, or remove the existing statement."
            )
        store.add_statement(call.db, record.region, record.name, statement)
        # A policy change is a new revision of the function (its RevisionId changes) but not
        # of what workers run: runtime_revision stays, warm workers stay.
        store.save_function(call.db, record.updated(revision_id=self.env.ids.uuid4()))
        return {"Statement": statement_json(statement)}

    @reads
    def get_policy(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        record = self._require(call, ref)
        statements = store.policy_statements(call.db, record.region, record.name)
        if not statements:
            raise resource_not_found("The resource you requested does not exist.")
        return {"Policy": policy_document(statements), "RevisionId": record.revision_id}

    @writes
    def remove_permission(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        record = self._lookup(call, ref)
        if record is None:
            raise resource_not_found(f"No policy found for: {ref.arn}")
        sid = params.get("StatementId")
        statements = store.policy_statements(call.db, record.region, record.name)
        if not statements:
            raise resource_not_found("No policy is associated with the given resource.")
        if not any(s.get("Sid") == sid for s in statements):
            raise resource_not_found(f"Statement {sid} is not found in resource policy.")
        _check_revision(params, record)
        store.remove_statement(call.db, record.region, record.name, str(sid))
        store.save_function(call.db, record.updated(revision_id=self.env.ids.uuid4()))
        return {}

    # -- invoking --------------------------------------------------------------------------

    @awaits
    async def invoke(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        self._note_loop()
        ref = self._resolve(call, params)
        invocation_type, log_type = check_invoke_options(params)
        payload = check_payload(params.get("Payload"), invocation_type)
        client_context = decode_client_context(params.get("ClientContext"))
        runnable = None
        if ref.account == call.account_id and ref.qualifier in (None, LATEST):
            runnable = self.runnables.get((ref.region, ref.name))
        if runnable is None:
            raise function_not_found(ref.requested_arn)
        if invocation_type == DRY_RUN:
            return {"StatusCode": 204}
        if invocation_type == EVENT:
            target = runnable.spec.arn

            def enqueue(tx: Any) -> None:
                # Checked again where it commits: a function deleted meanwhile takes no events.
                if not store.function_exists(tx.conn, ref.region, ref.name):
                    raise function_not_found(ref.requested_arn)
                self.env.outbox.emit(tx, ASYNC_INVOKE, target, payload, call.now)

            await call.write(enqueue)
            return {"StatusCode": 202, "Payload": b""}
        try:
            result = await self.pool.invoke(
                runnable.spec,
                payload,
                call.request_id,
                invoked_arn=ref.requested_arn,
                client_context=client_context,
            )
        except PoolClosed:
            # Lambda's own 5xx: the SDK retries it, and by then tidal may be back.
            raise AWSError("ServiceException", "tidal is stopping; the invocation did not run", 503) from None
        return sync_response(result, log_type)

    # -- asynchronous invocation settings --------------------------------------------------

    @writes
    def put_function_event_invoke_config(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_event_invoke_config(call, params, merge=False)

    @writes
    def update_function_event_invoke_config(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        return self._store_event_invoke_config(call, params, merge=True)

    @reads
    def get_function_event_invoke_config(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        config = None
        if self._lookup(call, ref) is not None and ref.qualifier in (None, LATEST):
            config = store.event_invoke_config(call.db, ref.region, ref.name, LATEST)
        qualified = function_arn(ref.region, ref.account, ref.name, ref.qualifier or LATEST)
        if config is None:
            raise resource_not_found(f"The function {qualified} doesn't have an EventInvokeConfig")
        return event_invoke.render(config, qualified)

    @writes
    def delete_function_event_invoke_config(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        deleted = False
        if self._lookup(call, ref) is not None and ref.qualifier in (None, LATEST):
            deleted = store.delete_event_invoke_config(call.db, ref.region, ref.name, LATEST)
        if not deleted:
            qualified = function_arn(ref.region, ref.account, ref.name, ref.qualifier or LATEST)
            raise resource_not_found(f"The function {qualified} doesn't have an EventInvokeConfig")
        self._invalidate_after_commit(call, ref.region, ref.name)
        return {}

    @reads
    def list_function_event_invoke_configs(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        ref = self._resolve(call, params)
        if self._lookup(call, ref) is None:
            raise resource_not_found("The function doesn't exist.")
        configs = [
            event_invoke.render(config, function_arn(ref.region, ref.account, ref.name, qualifier))
            for qualifier, config in store.event_invoke_configs(call.db, ref.region, ref.name)
        ]
        return {"FunctionEventInvokeConfigs": configs}

    def _store_event_invoke_config(
        self, call: Call, params: dict[str, Any], *, merge: bool
    ) -> dict[str, Any]:
        ref = self._resolve(call, params)
        settings = event_invoke.check_event_invoke_settings(params, ref.name)
        if self._lookup(call, ref) is None or ref.qualifier not in (None, LATEST):
            raise resource_not_found("The function doesn't exist.")
        qualified = function_arn(ref.region, ref.account, ref.name, LATEST)
        if merge:
            current = store.event_invoke_config(call.db, ref.region, ref.name, LATEST)
            if current is None:
                raise resource_not_found(f"The function {qualified} doesn't have an EventInvokeConfig")
            settings = {**{k: v for k, v in current.items() if k != "LastModified"}, **settings}
        config = event_invoke.stored_config(settings, call.now)
        store.put_event_invoke_config(call.db, ref.region, ref.name, LATEST, config)
        self._invalidate_after_commit(call, ref.region, ref.name)
        return event_invoke.render(config, qualified)

    # -- for the rest of tidal -------------------------------------------------------------

    def function_spec(self, function_ref: str) -> FunctionSpec | None:
        """The runtime spec of the function's current revision; None if there is no such function.

        ``function_ref`` is a name or any ARN form; a qualifier other than $LATEST names nothing.
        """
        if self._loop is None:
            self._note_loop()
        key = self.runnables.key_of(function_ref)
        runnable = None if key is None else self.runnables.get(key)
        return None if runnable is None else runnable.spec

    def async_invoke_policy(self, function_ref: str) -> tuple[int, int]:
        """(MaximumRetryAttempts, MaximumEventAgeInSeconds) for async events to the function."""
        key = self.runnables.key_of(function_ref)
        runnable = None if key is None else self.runnables.get(key)
        if runnable is None:
            return event_invoke.policy_of(None)
        return runnable.retry_attempts, runnable.maximum_event_age

    def function_permits(self, function_arn: str, bucket_arn: str, account: str) -> bool:
        """Whether the function's resource policy lets S3 invoke it for ``bucket_arn``.

        S3 asks when a notification configuration names the function: AWS refuses the
        configuration ("Unable to validate the following destination configurations")
        unless such a statement exists, with a matching SourceArn/SourceAccount or none.
        """
        key = self.runnables.key_of(function_arn)
        if key is None:
            return False
        statements = store.policy_statements(self.env.db.reader(), *key)
        return any(allows_service_invoke(s, S3_PRINCIPAL, bucket_arn, account) for s in statements)

    # -- helpers ---------------------------------------------------------------------------

    def _resolve(
        self,
        call: Call,
        params: dict[str, Any],
        *,
        pattern: str = NAMESPACED_FUNCTION_NAME_PATTERN,
        max_length: int = 256,
    ) -> ResolvedName:
        return resolve_function_name(
            params.get("FunctionName"),
            params.get("Qualifier"),
            call.region,
            call.account_id,
            pattern=pattern,
            max_length=max_length,
        )

    def _lookup(self, call: Call, ref: ResolvedName) -> FunctionRecord | None:
        if ref.account != call.account_id:
            return None  # tidal serves one account
        return store.load_function(call.db, ref.region, ref.name)

    def _require(self, call: Call, ref: ResolvedName) -> FunctionRecord:
        record = self._lookup(call, ref) if ref.qualifier in (None, LATEST) else None
        if record is None:
            raise function_not_found(ref.requested_arn)
        return record

    def _invalidate_after_commit(self, call: Call, region: str, name: str, *, retire: bool = False) -> None:
        key = (region, name)

        def invalidate() -> None:
            self.runnables.invalidate(key)
            if retire:
                self._retire_soon(name)

        call.after_commit(invalidate)

    def _note_loop(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._loop is not loop:
            self._loop = loop

    def _retire_soon(self, name: str) -> None:
        """After a committed update or delete (on the writer thread): stop the function's old
        workers, then delete the packages no function uses any more."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(self._retire(name), loop)
                return
            except RuntimeError:  # the loop is shutting down: its workers go with it
                pass
        # No invocation ever ran on a live loop, so there is no worker to stop. This runs on
        # the writer thread between transactions, so no CreateFunction is half done.
        self._remove_unused_code(name, self.env.db.reader())

    async def _retire(self, name: str) -> None:
        try:
            await self.pool.retire(name)
            # On the writer thread, as a job of its own: serialized with CreateFunction and
            # UpdateFunctionCode, which unpack and record a package in one job, so a package
            # just installed for a new function of the same name is always seen as in use.
            await self.env.db.write(lambda tx: self._remove_unused_code(name, tx.conn))
        except Exception:  # noqa: BLE001 - a failed cleanup must not surface anywhere else
            log.exception("retiring the workers of %s", name)

    def _remove_unused_code(self, name: str, conn: Connection) -> None:
        self.code.remove_unused(name, store.code_digests_in_use(conn, name))


def _code_package(code: dict[str, Any]) -> CodePackage:
    if code.get("ZipFile") is not None:
        return check_zip(code["ZipFile"])
    if code.get("S3Bucket") or code.get("S3Key"):
        raise invalid_parameter(
            "tidal cannot take function code from S3 yet: upload the zip as Code.ZipFile."
        )
    if code.get("ImageUri"):
        raise invalid_parameter("tidal runs .zip deployment packages only; ImageUri is not supported.")
    raise invalid_parameter("Please provide a source for function code.")


def _check_revision(params: dict[str, Any], record: FunctionRecord) -> None:
    revision = params.get("RevisionId")
    if revision and revision != record.revision_id:
        raise precondition_failed()


def _tags(tags: object) -> dict[str, str]:
    if not tags:
        return {}
    if not isinstance(tags, dict):
        raise invalid_parameter("Tags must be a map of strings.")
    return {str(k): str(v) for k, v in tags.items()}
