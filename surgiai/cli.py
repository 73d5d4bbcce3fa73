"""The `surgiai` command."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
import uvicorn
from pydantic import SecretStr, ValidationError

from surgiai.config import Settings

app = typer.Typer(help="SurgiAI: WhatsApp sales and support for doctors.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
users_app = typer.Typer(help="Manage dashboard users.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
doctors_app = typer.Typer(help="Doctors (leads).", no_args_is_help=True)
app.add_typer(doctors_app, name="doctors")


def load_settings(**overrides: Any) -> Settings:
    """Read settings, or stop with one line that names the bad setting."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        name = "SURGIAI_" + "_".join(str(part) for part in first["loc"]).upper()
        if not first["loc"]:
            name = "settings"
        typer.echo(f"surgiai: invalid setting {name}: {first['msg']}", err=True)
        raise typer.Exit(code=2) from None
    from surgiai.logging import configure_logging

    configure_logging(settings.log_level, json=settings.log_json)
    return settings


def prepare(settings: Settings) -> Any:
    """Build the runtime, apply pending migrations and make sure an owner exists."""
    from surgiai.all_tasks import task_registry
    from surgiai.db.engine import session_scope
    from surgiai.db.migrate import upgrade
    from surgiai.runtime import Runtime

    runtime = Runtime(settings, task_registry())
    upgrade(runtime.engine)
    from surgiai.auth.service import user_service

    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    with session_scope(runtime.session_factory) as session:
        created = user_service.ensure_owner(session, settings.admin_email, password)
    if created is not None:
        user, generated = created
        typer.echo(f"Created the first owner: {user.email}")
        if generated:
            typer.echo(f"Generated password (shown once, change it after logging in): {generated}")
    return runtime


@app.command()
def run(
    demo: Annotated[
        bool, typer.Option(help="Add a simulated WhatsApp Cloud API and doctors.")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Where the SQLite files live.")] = None,
) -> None:
    """Run everything on this machine: API, dashboard and the task workers beside them."""
    settings = load_settings(host=host, port=port, data_dir=data_dir)
    if demo:
        from surgiai.demo import demo_settings

        settings = demo_settings(settings)
    interrupts = Interrupts()
    runtime = prepare(settings)
    from surgiai.app import create_app

    workers = _start_workers(runtime)
    # uvicorn re-raises the SIGTERM it shut down on; left to the default action, that would end
    # the process before the workers below stop and the heartbeat row is removed.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        typer.echo(f"SurgiAI is running at http://{settings.host}:{settings.port}/")
        if demo:
            typer.echo(
                "Demo mode: a simulated WhatsApp Cloud API runs at /simulator with 2 numbers "
                "and 50 simulated doctors."
            )
        _serve(create_app(runtime, demo=demo), settings, interrupts)
    finally:
        workers()
        runtime.close()
    if interrupts.requested:
        raise typer.Exit(128 + signal.SIGINT)


def _start_workers(runtime: Any) -> Callable[[], None]:
    """Start `run`'s task workers (processes, or threads of this one); returns their stop."""
    settings = runtime.settings
    if settings.worker_processes:
        from surgiai.worker.processes import WorkerProcesses

        processes = WorkerProcesses(
            settings,
            count=settings.worker_processes,
            threads=settings.worker_threads,
            broker=runtime.broker,
            doorbell=runtime.queue.doorbell,
        )
        processes.start()
        runtime.workers_ready = processes.ready
        return processes.stop
    from surgiai.worker.heartbeat import Heartbeat
    from surgiai.worker.sweeper import sweep_at_start

    consumer = runtime.queue.consumer(workers=settings.worker_threads, periodic=True, embedded=True)
    consumer.start()
    heartbeat = Heartbeat(runtime.session_factory, threads=settings.worker_threads, embedded=True)
    heartbeat.start()
    sweep_at_start(runtime)

    def stop() -> None:
        heartbeat.stop()
        consumer.stop(graceful=True)

    return stop


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the HTTP API only; `surgiai worker` processes run the tasks."""
    settings = load_settings(host=host, port=port)
    runtime = prepare(settings)
    from surgiai.app import create_app

    try:
        _serve(create_app(runtime), settings)
    finally:
        runtime.close()


@app.command()
def worker(
    periodic: Annotated[
        bool, typer.Option(help="Also run periodic tasks. Exactly one worker must have this.")
    ] = False,
    threads: Annotated[int | None, typer.Option(help="Worker threads.")] = None,
    link_fd: Annotated[
        int | None, typer.Option(hidden=True, help="Set by `surgiai run` for its own workers.")
    ] = None,
) -> None:
    """Consume tasks from the queue (Redis in distributed mode)."""
    settings = load_settings()
    from surgiai.agents.master import MASTER
    from surgiai.all_tasks import task_registry
    from surgiai.runtime import Runtime
    from surgiai.worker.heartbeat import Heartbeat
    from surgiai.worker.sweeper import sweep_at_start

    # The link starts reading (and ringing) only after the runtime below exists.
    link = (
        _link_to_web_process(link_fd, lambda: runtime.queue.doorbell.ring_here())
        if link_fd is not None
        else None
    )
    broker = None
    if link is not None and not settings.redis_url:
        from surgiai.realtime.broker import WorkerRelayBroker

        broker = WorkerRelayBroker(link)
    interrupts = Interrupts()
    runtime = Runtime(settings, task_registry(), broker=broker)
    # Train the intent model now rather than while the first doctor waits for a reply.
    runtime.get(MASTER)
    consumer = runtime.queue.consumer(
        workers=threads or settings.worker_threads, periodic=periodic, embedded=False
    )
    heartbeat = Heartbeat(
        runtime.session_factory,
        threads=threads or settings.worker_threads,
        embedded=link is not None,
    )
    heartbeat.start()
    sweep_at_start(runtime)
    if link is not None:
        link.start()
        link.send_ready()
    try:
        # Huey takes Ctrl-C over once it runs; one that came during the start-up stops it here.
        if not interrupts.requested:
            consumer.run()
    finally:
        # Stopped already: a second SIGINT (another Ctrl-C, or the link to the web process
        # ending as this process exits) would only print a traceback.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        heartbeat.stop()
        runtime.close()


def _link_to_web_process(fd: int, wake_a_worker: Callable[[], None]) -> Any:
    """A worker of `surgiai run`: woken when the web process queues work; stops (gracefully,
    as on Ctrl-C) when the web process is gone."""
    import os

    from surgiai.worker.link import ChildLink

    return ChildLink.from_fd(
        fd,
        on_ring=wake_a_worker,
        on_parent_gone=lambda: os.kill(os.getpid(), signal.SIGINT),
    )


@app.command()
def simulator(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
    time_compression: Annotated[
        float, typer.Option(help="Run the simulator's timers this many times faster.")
    ] = 1.0,
    control_token: Annotated[
        str | None, typer.Option(help="Require this X-Control-Token on the control API.")
    ] = None,
) -> None:
    """Run the WhatsApp Cloud API simulator on its own (Graph API under /graph/{version})."""
    from surgiai.logging import configure_logging
    from surgiai.simulator import SimulatorConfig
    from surgiai.simulator.app import create_simulator_app

    configure_logging("INFO")
    config = SimulatorConfig(time_compression=time_compression, control_token=control_token)
    uvicorn.run(
        create_simulator_app(config), host=host, port=port, log_level="warning", log_config=None
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending database migrations."""
    settings = load_settings()
    from surgiai.db.engine import make_engine
    from surgiai.db.migrate import upgrade

    engine = make_engine(settings.resolved_database_url)
    settings.ensure_data_dir()
    upgrade(engine)
    engine.dispose()
    typer.echo("Database is up to date.")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email.")],
    role: Annotated[str, typer.Option(help="owner, admin, agent or viewer.")] = "agent",
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a dashboard user."""
    from surgiai.auth.roles import Role
    from surgiai.auth.schemas import UserCreate
    from surgiai.auth.service import user_service
    from surgiai.db.engine import session_scope

    settings = load_settings()
    runtime = prepare(settings)
    try:
        data = UserCreate(
            email=email,
            name=name or email.split("@")[0],
            role=Role(role),
            password=SecretStr(password),
        )
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        typer.echo(f"surgiai: {field}: {first['msg']}", err=True)
        runtime.close()
        raise typer.Exit(code=2) from None
    except ValueError:
        typer.echo(f"surgiai: role must be one of {', '.join(r.value for r in Role)}", err=True)
        runtime.close()
        raise typer.Exit(code=2) from None
    from surgiai.errors import SurgiAIError

    try:
        with session_scope(runtime.session_factory) as session:
            user = user_service.create(session, None, data, default_region=settings.default_region)
    except SurgiAIError as error:
        typer.echo(f"surgiai: {error.detail}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        runtime.close()
    typer.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@doctors_app.command("import")
def doctors_import(
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file.", exists=True, dir_okay=False)],
    mapping: Annotated[
        str | None,
        typer.Option(help='JSON: field → column header, e.g. \'{"mobile": "Cell"}\'.'),
    ] = None,
) -> None:
    """Import doctors from a file now, as the dashboard's import does, and print the report."""
    import json

    from surgiai.db.engine import session_scope
    from surgiai.doctors.import_service import doctor_import_service
    from surgiai.doctors.importing import file_mime_type
    from surgiai.errors import SurgiAIError
    from surgiai.media.service import media_service

    chosen: dict[str, str] | None = None
    if mapping is not None:
        try:
            chosen = json.loads(mapping)
        except json.JSONDecodeError:
            typer.echo("surgiai: --mapping is not JSON", err=True)
            raise typer.Exit(code=2) from None
        if not isinstance(chosen, dict):
            typer.echo("surgiai: --mapping must be an object of field → column", err=True)
            raise typer.Exit(code=2)
    settings = load_settings()
    runtime = prepare(settings)
    data = file.read_bytes()
    try:
        with session_scope(runtime.session_factory) as session:
            checked = doctor_import_service.checked_mapping(
                filename=file.name, data=data, mapping=chosen
            )
            media = media_service.store(
                session,
                settings.data_dir / "media",
                data,
                mime_type=file_mime_type(data),
                filename=file.name,
            )
            doctor_import = doctor_import_service.create(
                session, filename=file.name, mapping=checked, media_file_id=media.id, user_id=None
            )
            session.commit()
            started = doctor_import_service.start(session, doctor_import.id)
            assert started is not None, "a new import is processing"
            try:
                report = doctor_import_service.run(
                    session, doctor_import, data, settings.default_region, checkpoint=session.commit
                )
            except SurgiAIError as error:
                session.rollback()
                doctor_import_service.fail(session, doctor_import.id, error.detail)
                session.commit()
                raise
            lines = [
                f"Imported {file.name}: {report.rows_total} rows, {report.added} added, "
                f"{report.updated} updated, {report.unchanged} unchanged, "
                f"{len(report.rejected)} rows rejected.",
                *(f"  row {item['row']}: {item['reason']}" for item in report.rejected),
            ]
    except SurgiAIError as error:
        typer.echo(f"surgiai: {error.detail}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        runtime.close()
    typer.echo("\n".join(lines))


def _exit_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


class Interrupts:
    """Ctrl-C noted rather than raised. A KeyboardInterrupt raised wherever the program happens
    to be (in a weakref callback, say) can be swallowed, and the program then runs on as if no
    one had asked it to stop; a noted one stops it at the next step: before serving, or the
    server once there is one (uvicorn handles Ctrl-C itself while it serves, and hands it back
    here when it is done)."""

    def __init__(self) -> None:
        self.requested = False
        self.server: uvicorn.Server | None = None
        signal.signal(signal.SIGINT, self._note)

    def _note(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True


def _serve(application: Any, settings: Settings, interrupts: Interrupts | None = None) -> None:
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # Uvicorn's loggers propagate to ours: one format, and everything masked.
        log_config=None,
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies,
    )
    server = uvicorn.Server(config)
    if interrupts is not None:
        interrupts.server = server
        if interrupts.requested:
            return
    server.run()
