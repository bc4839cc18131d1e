"""The `forager` command line. Each command hands off to the module of its stage."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from forager.errors import ForagerError
from forager.progress import console
from forager.records.episode_settings import AgentLimits, Sampling

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Harvest agentic SWE trajectories from real Python repositories.")
base_app = typer.Typer(no_args_is_help=True, help="The shared base image.")
app.add_typer(base_app, name="base")
recipe_app = typer.Typer(no_args_is_help=True, help="Recipes: infer them from repositories.")
app.add_typer(recipe_app, name="recipe")

IMAGES_DIR = Path("images")


@base_app.command("bootstrap")
def base_bootstrap(python: str = typer.Option("3.11", help="3.9 (bullseye), 3.11 (bookworm) or 3.13 (trixie)"),
                   force: bool = typer.Option(False, help="rebuild even if present")) -> None:
    """Build the base image offline from Debian packages (debootstrap + docker import)."""
    from forager.images.base import DEBIAN_SUITES, build_base
    if python not in DEBIAN_SUITES:
        raise ForagerError(f"--python: Debian gives {', '.join(DEBIAN_SUITES)}, not {python}")
    console.print(f"bootstrapping the base (Debian {DEBIAN_SUITES[python]}, Python {python}); this takes a few minutes")
    tag = build_base(python, origin="bootstrap", force=force)
    console.print(f"base image: {tag}")


@base_app.command("build")
def base_build(python: str = typer.Option("3.11", help="Python minor version"),
               force: bool = typer.Option(False, help="rebuild even if present")) -> None:
    """Build the base image from python:<ver>-slim (falls back to the bootstrapped one offline)."""
    from forager.images.base import build_base
    console.print(f"base image: {build_base(python, origin='auto', force=force)}")


RAY_OPTION = typer.Option(None, "--ray", help="run on the Ray cluster at HOST:PORT (or auto); needs "
                          "pip install 'forager[cluster]'")
REGISTRY_OPTION = typer.Option(None, "--registry", help="with --ray: the registry HOST:PORT images go to "
                               "nodes through (default $FORAGER_REGISTRY)")
REPLICAS_OPTION = typer.Option(2, "--replicas", min=1, help="with --ray: nodes each image's work is placed on")


def _cluster(address: Optional[str], registry: Optional[str], slots: int, replicas: int):
    """A RayExecutor when --ray is given (Ray is imported only then); None for a local run."""
    if not address:
        return None
    from forager.cluster.session import open_cluster
    return open_cluster(address, registry or os.environ.get("FORAGER_REGISTRY") or None, slots, replicas)


def _cluster_pool(endpoints: List[str]):
    from forager.cluster.session import endpoint_pool
    return endpoint_pool(endpoints)


@app.command("build-images")
def build_images(sources: List[str] = typer.Argument(..., help="recipe files, owner/name@commit, git URL@commit, "
                                                     "local git repositories, or files listing them"),
                 jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="images built at once"),
                 out: Path = typer.Option(IMAGES_DIR, "--out", "-o", help="manifest folder"),
                 recipes_out: Path = typer.Option(Path("recipes/inferred"), "--recipes-out",
                                                  help="where recipes inferred for non-recipe sources go"),
                 force: bool = typer.Option(False, help="rebuild and revalidate even when up to date"),
                 ray: Optional[str] = RAY_OPTION, registry: Optional[str] = REGISTRY_OPTION,
                 replicas: int = REPLICAS_OPTION) -> None:
    """Build and validate one repository image per recipe (inferring recipes for repositories)."""
    from forager.engine import client
    from forager.images.pipeline import build_images as run
    from forager.recipes.sources import RecipeFile, expand
    from forager.records.recipe import load_recipe
    parsed = expand(sources)
    files = [s.path for s in parsed if isinstance(s, RecipeFile)]
    repos = [s for s in parsed if not isinstance(s, RecipeFile)]
    for path in files:  # a typo in any recipe stops the run before anything is built
        load_recipe(path)
    client()  # one clear line when no engine answers, before any progress bar
    failed = False
    if repos and ray:
        raise ForagerError("--ray builds recipe files: infer recipes for repositories first ('forager recipe infer')")
    if repos:
        failed = _infer(repos, recipes_out, out, jobs)
    if ray and files:
        outcomes = _builds_on_cluster(ray, registry, replicas, jobs, files, out, force)
    else:
        outcomes = run(files, out, jobs=jobs, force=force) if files else []
    from forager.tables import Col, fitted
    cols = [Col("recipe", is_id=True), Col("status", keep=9), Col("passed", keep=8), Col("failed+error", keep=7),
            Col("flaky", keep=3), Col("suite s", keep=2), Col("took s", keep=1)]
    rows = []
    for o in outcomes:
        m = o.manifest
        c = m.counts() if m else {}
        failed_tests = c.get("failed", 0) + c.get("error", 0) if m else ""
        rows.append([o.name, o.status, str(c.get("passed", "")), str(failed_tests), str(len(m.flaky)) if m else "",
                     f"{m.suite_duration:.1f}" if m else "", f"{o.seconds:.1f}"])
    if rows:
        console.print(fitted(console, "build-images", cols, rows))
    if failed or any(o.status in ("failed", "rejected") for o in outcomes):
        raise typer.Exit(1)


def _builds_on_cluster(address, registry, replicas, jobs, files, out, force) -> list:
    from forager.cluster.stages import run_builds
    executor = _cluster(address, registry, jobs, replicas)
    try:
        return run_builds(executor, files, out, force, executor.s.registry)
    finally:
        executor.shutdown(wait=False)


def _infer(repos, recipes_dir: Path, images_dir: Path, jobs: int, repairer=None) -> bool:
    """Infer, build and validate; True when some repository gave no validated recipe."""
    from forager.recipes.report import print_report
    from forager.recipes.run import infer_sources
    records = infer_sources(repos, recipes_dir, images_dir, jobs=jobs, repairer=repairer)
    print_report(records)
    console.print(f"recipes: {recipes_dir} (report: {recipes_dir / 'infer-report.jsonl'})")
    return any(not r.recipe_file for r in records)


@recipe_app.command("infer")
def recipe_infer(sources: List[str] = typer.Argument(..., help="owner/name@commit, git URL@commit, local git "
                                                     "repositories, or files listing them (one a line)"),
                 out: Path = typer.Option(Path("recipes/inferred"), "--out", "-o", help="where the recipes go"),
                 images_dir: Path = typer.Option(IMAGES_DIR, "--images-dir", help="manifest folder of the images built "
                                                 "to validate the candidates"),
                 jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="repositories at once"),
                 repair: Optional[str] = typer.Option(None, help="when the heuristics fail: the repair agent's policy "
                                                      "(chat), on --endpoint with --model"),
                 endpoint: Optional[str] = typer.Option(None, help="the repair agent's OpenAI-compatible server"),
                 model: str = typer.Option("default", help="the repair agent's model name"),
                 repair_steps: int = typer.Option(12, min=1, help="the repair agent's turns at most")) -> None:
    """Infer a recipe from each repository's own files, validated by building and testing it."""
    from forager.engine import client
    from forager.recipes.sources import RecipeFile, expand
    parsed = expand(sources)
    given = [str(s.path) for s in parsed if isinstance(s, RecipeFile)]
    if given:
        raise ForagerError(f"{given[0]}: a recipe file needs no inference; build it with 'forager build-images'")
    repairer = _repairer(repair, endpoint, model, repair_steps, out) if repair else None
    client()
    if _infer(parsed, out, images_dir, jobs, repairer):
        raise typer.Exit(1)


def _repairer(policy: str, endpoint: Optional[str], model: str, steps: int, out: Path):
    """The repair agent as inference's callable: a chat model on the given server."""
    from forager.agent.model import ChatModel
    from forager.records.episode_settings import Sampling
    from forager.repair.agent import RepairSettings, repair
    if policy != "chat":
        raise ForagerError(f"--repair must be chat, not '{policy}' (the oracle has no recipe to play)")
    if not endpoint:
        raise ForagerError("--repair needs --endpoint (an OpenAI-compatible server)")
    log = out / "repair-trajectories.jsonl"

    def run(src, best, failure, validate):
        m = ChatModel(endpoint, model, Sampling(), timeout=600, api_key=None)
        return repair(src, best, failure, validate, m, log, RepairSettings(max_steps=steps))
    return run


@app.command("images")
def images(out: Path = typer.Option(IMAGES_DIR, "--dir", help="manifest folder")) -> None:
    """List built images with their test counts."""
    from forager.records.manifest import load_all
    from forager.tables import Col, fitted
    cols = [Col("id", is_id=True), Col("status", keep=9), Col("tag", is_id=True), Col("size MB", keep=2),
            Col("passed", keep=8), Col("failed", keep=7), Col("skipped", keep=4), Col("flaky", keep=3),
            Col("suite s", keep=1)]
    rows = []
    for m in load_all(out) if out.is_dir() else []:
        c = m.counts()
        rows.append([m.id, m.status, m.image_tag, f"{m.size_bytes / 1e6:.0f}", str(c["passed"]),
                     str(c["failed"] + c["error"]), str(c["skipped"]), str(len(m.flaky)), f"{m.suite_duration:.1f}"])
    table = fitted(console, f"images in {out}", cols, rows)
    console.print(table)


@app.command("tasks")
def tasks(variant: str = typer.Option(..., help="mutate-fix or issue-fix"),
          images_: List[str] = typer.Option(..., "--images", help="image ids or manifest paths"),
          output: Path = typer.Option(Path("tasks.jsonl"), "--output", "-o"),
          per_image: int = typer.Option(10, min=1, help="tasks kept per image at most"),
          per_operator: Optional[int] = typer.Option(None, min=1, help="tasks kept per operator per image at most"),
          operators: Optional[str] = typer.Option(None, help="comma-separated operator names (default all)"),
          max_checks: Optional[int] = typer.Option(None, min=1, help="mutants checked per image at most"),
          max_candidates: int = typer.Option(50, "--max-candidates", min=1,
                                             help="issue-fix: candidate fixes looked at per image at most"),
          seed: int = typer.Option(0), jobs: int = typer.Option(1, "--jobs", "-j", min=1),
          workers: Optional[int] = typer.Option(None, "--workers", min=1, help="mutate-fix: warm containers "
                                                "per image checking in parallel (default: cores / jobs, at most 4)"),
          fresh: bool = typer.Option(False, "--fresh", help="mutate-fix: every check in fresh test "
                                     "processes, without the forking pytest server"),
          statement: str = typer.Option("auto", help="issue-fix problem statements: auto (the issue, else the "
                                        "failing tests' output), tests, model, commit or issue"),
          endpoint: Optional[str] = typer.Option(None, help="issue-fix --statement model: an OpenAI-compatible server"),
          model: str = typer.Option("default", help="issue-fix --statement model: the model name"),
          whole_suite: bool = typer.Option(False, "--whole-suite", help="mutate-fix: every kept mutant runs "
                                           "the whole suite, never only the tests that can change"),
          verify_sample: int = typer.Option(0, "--verify-sample", min=0, help="mutate-fix: per image, K random "
                                            "mutants kept from their covering tests run again with the whole "
                                            "suite; any difference in FAIL_TO_PASS or PASS_TO_PASS fails"),
          images_dir: Path = typer.Option(IMAGES_DIR, "--images-dir"),
          ray: Optional[str] = RAY_OPTION, registry: Optional[str] = REGISTRY_OPTION,
          replicas: int = REPLICAS_OPTION) -> None:
    """Generate validated tasks from built images (resumable: a rerun skips what is done)."""
    from forager.engine import client
    from forager.records.manifest import resolve
    from forager.tasks.variants import variant_of
    chosen = variant_of(variant)
    manifests = [resolve(ref, images_dir) for ref in _split(images_)]
    client()
    if chosen.name == "mutate-fix":
        ops = [o.strip() for o in operators.split(",")] if operators else None
        _check_operators(ops)
        options = dict(per_image=per_image, per_operator=per_operator, seed=seed, operators=ops, max_checks=max_checks,
                       warm=not fresh, workers=workers or default_workers(jobs), covering_only=not whole_suite,
                       verify_sample=verify_sample)
    else:
        from forager.tasks.issue_fix.problem import STATEMENTS
        if statement not in STATEMENTS:
            raise ForagerError(f"--statement must be one of {', '.join(STATEMENTS)}, not '{statement}'")
        if statement == "model" and not endpoint:
            raise ForagerError("--statement model needs --endpoint (an OpenAI-compatible server)")
        options = dict(seed=seed, max_candidates=max_candidates, per_image=per_image, statement=statement,
                       endpoint=endpoint, model=model)
    if ray:
        _tasks_on_cluster(ray, registry, replicas, jobs, chosen.name, manifests, output, options)
        return
    summary = chosen.generate(manifests, output, options, jobs)
    if summary.failed_images:
        raise typer.Exit(1)


def _tasks_on_cluster(address, registry, replicas, jobs, variant, manifests, output, options) -> None:
    from forager.cluster.stages import run_tasks
    executor = _cluster(address, registry, jobs, replicas)
    try:
        failed = run_tasks(executor, variant, manifests, output, options)
    finally:
        executor.shutdown(wait=False)
    for image, why in failed.items():
        console.print(f"image {image} failed: {why}", markup=False, highlight=False)
    console.print(f"tasks: {output}")
    if failed:
        raise typer.Exit(1)


def default_workers(jobs: int) -> int:
    """Warm containers per image: the machine's cores shared among the images run at once."""
    return max(1, min(4, (os.cpu_count() or 1) // jobs))


def _split(values: List[str]) -> List[str]:
    return [v for item in values for v in item.split(",") if v]


def _check_operators(ops: Optional[List[str]]) -> None:
    from forager.tasks.mutate import OPERATORS
    unknown = [o for o in ops or [] if o not in OPERATORS]
    if unknown:
        raise ForagerError(f"--operators: unknown {', '.join(unknown)} (known: {', '.join(sorted(OPERATORS))})")


@app.command("harvest")
def harvest(variant: str = typer.Option("mutate-fix", help="mutate-fix, issue-fix or all"),
            tasks_file: Path = typer.Option(Path("tasks.jsonl"), "--tasks", help="tasks JSONL"),
            policy: str = typer.Option("cwm", help="cwm (raw completions), chat or oracle"),
            endpoint: Optional[List[str]] = typer.Option(None, help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1; "
                                                         "repeat it for several (each episode takes the least busy)"),
            model: str = typer.Option("facebook/cwm", help="model name sent to the server"),
            output: Path = typer.Option(Path("trajectories.jsonl"), "--output", "-o"),
            concurrency: int = typer.Option(4, min=1, help="episodes at once"),
            attempts: int = typer.Option(1, min=1, help="episodes per task"),
            max_turns: int = typer.Option(128, min=1), max_context: int = typer.Option(131072, min=256),
            max_tokens: Optional[int] = typer.Option(None, min=1, help="tokens per model turn, capped at the "
                                                     "context left (default: cwm 65536, chat 4096)"),
            temperature: Optional[float] = typer.Option(None, help="default: cwm 1.0, chat 0.7"),
            top_p: Optional[float] = typer.Option(None, help="default 0.95"),
            dialect: Optional[str] = typer.Option(None, help="cwm, cwm-nothink or chat (default: the "
                                                  "policy's: cwm for cwm, chat otherwise)"),
            reasoning: bool = typer.Option(True, "--reasoning/--no-reasoning",
                                           help="cwm dialect: CWM's <think> reasoning (off: cwm-nothink)"),
            episode_seconds: float = typer.Option(3600, help="wall-time limit per episode"),
            max_format_errors: Optional[int] = typer.Option(
                None, min=0, help="format errors in a row that end an episode; 0: no limit (default: cwm "
                "dialects 0, as CWM's eval, which feeds every error back and lets the turn limit bound them; chat 3)"),
            bash_timeout: float = typer.Option(120, help="seconds per bash command"),
            prompts: Optional[Path] = typer.Option(None, help="folder with your own prompt templates"),
            no_bos: bool = typer.Option(False, help="cwm: the server adds <|begin_of_text|> itself"),
            limit: Optional[int] = typer.Option(None, min=1, help="only the first N tasks"),
            ray: Optional[str] = RAY_OPTION, registry: Optional[str] = REGISTRY_OPTION,
            replicas: int = REPLICAS_OPTION) -> None:
    """Run agent episodes on tasks, grade them, and append trajectories (resumable)."""
    from forager.agent.environment import EnvironmentSettings
    from forager.agent.tools import ToolSettings
    from forager.engine import client
    from forager.harvest.episode import POLICIES, HarvestSettings
    from forager.harvest.report import print_summary
    from forager.harvest.runner import harvest as run
    from forager.jsonio import read_lines
    from forager.records.task import Task
    if policy not in POLICIES:
        raise ForagerError(f"--policy must be one of {', '.join(POLICIES)}, not '{policy}'")
    if policy != "oracle" and not endpoint:
        raise ForagerError(f"--endpoint is needed for the {policy} policy (start one with 'forager serve')")
    if not tasks_file.exists():
        raise ForagerError(f"{tasks_file}: no such tasks file (make one with 'forager tasks')")
    tasks = [t for t in read_lines(tasks_file, Task) if variant == "all" or t.variant == variant]
    tasks = tasks[:limit] if limit else tasks
    if not tasks:
        raise ForagerError(f"{tasks_file}: no {variant} tasks")
    from forager.records.episode_settings import CWM_MAX_FORMAT_ERRORS, CWM_SAMPLING, DEFAULT_DIALECT, DIALECTS
    dialect = dialect or DEFAULT_DIALECT[policy]
    if dialect not in DIALECTS:
        raise ForagerError(f"--dialect must be one of {', '.join(DIALECTS)}, not '{dialect}'")
    if dialect == "cwm" and not reasoning:
        dialect = "cwm-nothink"
    base = CWM_SAMPLING if dialect.startswith("cwm") else Sampling()
    sampling = Sampling(temperature=base.temperature if temperature is None else temperature,
                        top_p=base.top_p if top_p is None else top_p,
                        max_tokens=base.max_tokens if max_tokens is None else max_tokens)
    endpoints = list(dict.fromkeys(endpoint or []))
    executor = _cluster(ray, registry, concurrency, replicas)
    if executor is None:
        client()
    settings = HarvestSettings(
        policy=policy, endpoint=endpoints[0] if endpoints else None, model=model, dialect_name=dialect, sampling=sampling,
        limits=AgentLimits(max_turns=max_turns, max_context_tokens=max_context, max_seconds=episode_seconds,
                           max_format_errors=max_format_errors if max_format_errors is not None else
                           CWM_MAX_FORMAT_ERRORS if dialect.startswith("cwm") else AgentLimits().max_format_errors),
        env=EnvironmentSettings(tools=ToolSettings(bash_timeout=bash_timeout)), prompts_dir=prompts,
        bos=not no_bos)
    if len(endpoints) > 1:
        from forager.harvest.endpoints import EndpointPool
        settings.pool = EndpointPool(endpoints) if executor is None else _cluster_pool(endpoints)
    try:
        summary = run(tasks, output, settings, concurrency=concurrency, attempts=attempts, executor=executor)
    finally:
        if executor is not None:
            executor.shutdown(wait=False)
    print_summary(summary, output)
    if summary.interrupted:
        raise typer.Exit(130)


@app.command("serve")
def serve(model: str = typer.Option("facebook/cwm", help="model to serve with vLLM"),
          local: bool = typer.Option(False, "--local", help="the CPU server (llama.cpp + SmolLM2) instead of vLLM"),
          preset: str = typer.Option("bf16", help="bf16 (tensor parallel) or fp8 (one 80 GB card)"),
          gpus: Optional[int] = typer.Option(None, min=1, help="GPUs to use (default: the preset's, at most those present)"),
          gpu_mem: Optional[float] = typer.Option(None, help="GiB per GPU (default: detected)"),
          max_len: int = typer.Option(131072, help="wanted context length"),
          port: Optional[int] = typer.Option(None, help="port (default: 8000 for vLLM, a free one for --local)"),
          host: str = typer.Option("127.0.0.1"),
          dry_run: bool = typer.Option(False, help="print the command and exit"),
          wait: float = typer.Option(1800, help="seconds to wait for the server to answer"),
          allocator: str = typer.Option("hybrid", help="KV-cache allocator the memory plan assumes: hybrid "
                                        "(vLLM's hybrid manager, sliding layers keep their window) or uniform"),
          kv_cache_dtype: str = typer.Option("auto", help="auto (model dtype) or fp8 (half the KV memory)"),
          typical_len: int = typer.Option(32768, min=1024, help="typical episode length in tokens, for the "
                                          "concurrency estimate")) -> None:
    """Start a model server, wait until it answers, print the endpoint; Ctrl-C stops it."""
    from forager.serve.launch import serve_local, serve_vllm
    if local:
        serve_local(port, dry_run)
    else:
        serve_vllm(model, preset, gpus, gpu_mem, max_len, host, port or 8000, dry_run, wait,
                   allocator=allocator, kv_cache_dtype=kv_cache_dtype, typical_len=typical_len)


@app.command("show")
def show(file: Path = typer.Argument(..., help="trajectories JSONL"),
         id_: Optional[str] = typer.Option(None, "--id", help="trajectory_id (or instance_id; default the first)"),
         turn: Optional[int] = typer.Option(None, "--turn", min=0, help="the turn whose prompt to print"),
         raw: bool = typer.Option(False, "--raw", help="print the exact text the model saw at --turn")) -> None:
    """A readable view of one episode; with --turn K --raw, the exact prompt of turn K, byte for byte."""
    from forager.agent.transcript import print_episode, raw_prompt
    from forager.jsonio import read_lines
    from forager.records.trajectory import Trajectory
    if not file.exists():
        raise ForagerError(f"{file}: no such file")
    trajs = list(read_lines(file, Trajectory))
    chosen = [t for t in trajs if id_ is None or id_ in (t.trajectory_id, t.instance_id)]
    if not chosen:
        raise ForagerError(f"{file}: no trajectory {id_!r}" if id_ else f"{file}: no trajectories")
    t = chosen[0]
    if raw:
        try:
            text = raw_prompt(t, turn if turn is not None else max(0, len(t.turns) - 1))
        except IndexError as exc:
            raise ForagerError(str(exc)) from None
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    print_episode(t, console)


@app.command("demo")
def demo(out: Path = typer.Option(Path("runs/demo"), "--out", help="where the demo writes its files"),
         tasks: int = typer.Option(6, min=1, help="mutate-fix tasks to keep")) -> None:
    """The whole pipeline on the bundled example: image, tasks, oracle and local-model episodes."""
    from forager.demo import DemoSettings, run_demo
    run_demo(DemoSettings(out=out, tasks=tasks))


@app.command("gc")
def gc(all_: bool = typer.Option(False, "--all", help="also containers of runs that are still alive")) -> None:
    """Remove the containers and temporary images Forager left behind (runs that died)."""
    from forager.gc import collect
    containers, imgs = collect(everything=all_)
    console.print(f"removed {containers} containers and {imgs} temporary images")


@app.command("export")
def export(trajectories: List[Path] = typer.Argument(None, help="trajectory JSONL files"),
           out: Path = typer.Option(..., "-o", "--out", help="dataset folder to write (new or empty)"),
           manifest: Optional[Path] = typer.Option(None, "--manifest", help="rebuild the export this manifest.json describes"),
           formats: str = typer.Option("openai", "--format", help="cwm, openai, sharegpt (comma-separated)"),
           files: str = typer.Option("parquet,jsonl", "--files", help="parquet, jsonl (comma-separated)"),
           shard_rows: int = typer.Option(10_000, help="rows per shard"),
           status: Optional[List[str]] = typer.Option(None, "--status", help="keep these exit statuses"),
           resolved: Optional[bool] = typer.Option(None, "--resolved/--unresolved", help="keep only (un)resolved"),
           min_reward: Optional[float] = typer.Option(None), max_reward: Optional[float] = typer.Option(None),
           policy: Optional[List[str]] = typer.Option(None), model: Optional[List[str]] = typer.Option(None),
           variant: Optional[List[str]] = typer.Option(None), repo: Optional[List[str]] = typer.Option(None),
           operator: Optional[List[str]] = typer.Option(None, help="mutation operators (older trajectories need --tasks)"),
           tasks: Optional[List[Path]] = typer.Option(None, "--tasks", help="tasks files, for the operators of older trajectories"),
           min_turns: Optional[int] = typer.Option(None), max_turns: Optional[int] = typer.Option(None),
           min_tokens: Optional[int] = typer.Option(None, help="recorded tokens of the episode"),
           max_episode_tokens: Optional[int] = typer.Option(None, help="recorded tokens of the episode"),
           keep_ids: Optional[Path] = typer.Option(None, help="file of trajectory or instance ids to keep (only these)"),
           drop_ids: Optional[Path] = typer.Option(None, help="file of trajectory or instance ids to drop"),
           no_exact: bool = typer.Option(False, help="no exact deduplication"),
           no_near: bool = typer.Option(False, help="no near-duplicate deduplication"),
           no_patch_dedupe: bool = typer.Option(False, help="keep duplicate submitted patches"),
           threshold: float = typer.Option(0.5, help="near duplicates: Jaccard at or above this are one cluster"),
           blocklist: Optional[List[str]] = typer.Option(None, help="block lists (default swe-bench; 'none' for none)"),
           fork_match: str = typer.Option("name", help="exact, or name: any owner's repository of a blocked name"),
           block_instances: Optional[Path] = typer.Option(None, help="file of instance ids to leave out"),
           splits: str = typer.Option("train=1.0", help="NAME=FRACTION,... grouped by repository"),
           seed: int = typer.Option(0, help="seed of the splits and the observation loss mask"),
           tokenizer: Optional[Path] = typer.Option(None, help="tokenizer.json for token counts"),
           max_tokens: int = typer.Option(0, help="length limit in tokens (needs --tokenizer)"),
           length_policy: str = typer.Option("drop", help="drop, or truncate to the longest prefix that fits"),
           no_redact: bool = typer.Option(False, help="do not redact secrets"),
           observation_loss_rate: float = typer.Option(0.5, help="cwm: share of observations trained on"),
           on_bad: str = typer.Option("skip", help="bad input lines: skip (reported) or fail"),
           ungraded: str = typer.Option("skip", help="trajectories without grading: skip or keep (as unresolved)"),
           other_versions: str = typer.Option("keep", help="lines of another Forager version: keep or skip"),
           save_to_disk: bool = typer.Option(False, help="also write datasets.save_to_disk folders under hf/"),
           workers: int = typer.Option(0, help="processes for parsing, dedupe signatures and rows (0: one per CPU); "
                                       "the output is the same with any number"),
           ) -> None:
    """Trajectories into a training dataset: select, deduplicate, decontaminate, split, format."""
    from pydantic import ValidationError

    from forager.export.pipeline import export as run_export
    from forager.export.pipeline import rebuild
    from forager.export.splits import parse_fractions
    from forager.records.dataset import ExportSpec

    def ids(path: Optional[Path]) -> list:
        if path is None:
            return []
        if not path.is_file():
            raise ForagerError(f"{path}: no such id file")
        return [ln.strip() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]

    if manifest is not None:
        m, differ = rebuild(manifest, out, say=console.print, workers=workers)
        if differ:
            raise ForagerError(f"rebuilt {out}, but {len(differ)} files differ from the manifest: {', '.join(differ[:5])}")
        console.print(f"rebuilt {out}: {len(m.outputs)} files, identical to {manifest}")
        return
    if not trajectories:
        raise ForagerError("give trajectory files, or --manifest")
    lists = [] if blocklist == ["none"] else (blocklist or ["swe-bench"])
    try:
        spec = ExportSpec(
            formats=_split([formats]), files=_split([files]), shard_rows=shard_rows,
            selection=dict(exit_status=_split(status or []), resolved=resolved, min_reward=min_reward, max_reward=max_reward,
                           policy=_split(policy or []), model=_split(model or []), variant=_split(variant or []),
                           repo=_split(repo or []), operator=_split(operator or []), min_turns=min_turns, max_turns=max_turns,
                           min_tokens=min_tokens, max_tokens=max_episode_tokens, keep_ids=ids(keep_ids), drop_ids=ids(drop_ids)),
            dedupe=dict(exact=not no_exact, near=not no_near, patches=not no_patch_dedupe, threshold=threshold),
            decontamination=dict(blocklists=lists, fork_match=fork_match, instance_ids=ids(block_instances)),
            splits=dict(fractions=parse_fractions(splits), seed=seed),
            length=dict(tokenizer=str(tokenizer.resolve()) if tokenizer else "", max_tokens=max_tokens, policy=length_policy),
            redact=not no_redact, observation_loss_rate=observation_loss_rate, on_bad=on_bad, ungraded=ungraded,
            other_versions=other_versions, tasks=[str(t.resolve()) for t in tasks or []], save_to_disk=save_to_disk)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ForagerError(f"bad option ({'.'.join(str(p) for p in first['loc'])}: {first['msg']})") from None
    m = run_export([t.resolve() for t in trajectories], out, spec, say=console.print, workers=workers)
    for p in m.problems:
        console.print(str(p), markup=False, highlight=False)
    from forager.tables import Col, fitted
    console.print(fitted(console, "export", [Col("step", is_id=True), Col("trajectories")], [[k, str(v)] for k, v in m.counts.items()]))
    console.print(f"wrote {out} ({', '.join(f'{s}: {n}' for s, n in m.split_counts.items())})")


@app.command("stats")
def stats(trajectories: List[Path] = typer.Argument(..., help="trajectory JSONL files"),
          out: Path = typer.Option(Path("stats"), "-o", "--out", help="folder for the PNG plots and stats.json"),
          tasks: Optional[List[Path]] = typer.Option(None, "--tasks", help="tasks files, for operators")) -> None:
    """Tables and plots of trajectory files: statuses, resolve rates, tokens, where time went."""
    from forager.export.reader import file_info
    from forager.export.stats import collect, plot
    from forager.tables import Col, fitted
    for t in trajectories:
        file_info(t)  # a missing file is one clear error
    st = collect(trajectories, [str(t) for t in tasks or []])
    for p in st["problems"]:
        console.print(p, markup=False, highlight=False)
    n = st["trajectories"] or 1
    console.print(fitted(console, f"exit status ({st['trajectories']} trajectories)", [Col("status", is_id=True), Col("episodes"), Col("share")],
                         [[k, str(v), f"{v / n:.0%}"] for k, v in st["exit_status"].items()]))
    for key in ("repo", "operator", "turns"):
        rows = [[k, str(v["episodes"]), str(v["resolved"]), f"{v['rate']:.0%}"] for k, v in st["resolve_rate"][key].items()]
        console.print(fitted(console, f"resolve rate by {key}", [Col(key, is_id=True), Col("episodes"), Col("resolved"), Col("rate")], rows))
    tok = sorted(st["tokens"])
    if tok:
        console.print(f"tokens per episode: median {tok[len(tok) // 2]}, max {tok[-1]}")
    total = sum(st["seconds"].values()) or 1
    console.print("time: " + ", ".join(f"{k} {v:.0f}s ({v / total:.0%})" for k, v in st["seconds"].items()))
    made = plot(st, out)
    console.print(f"wrote {len(made)} plots and stats.json to {out}")


@app.command("view")
def view(trajectories: List[Path] = typer.Argument(..., help="trajectory JSONL files"),
         out: Path = typer.Option(Path("episodes.html"), "-o", "--out", help="the HTML page to write"),
         limit: int = typer.Option(0, help="at most this many episodes (0: all)")) -> None:
    """One self-contained HTML page to browse episodes (filter, search, turns, diff, grading)."""
    from forager.export.reader import file_info
    from forager.export.view import build
    for t in trajectories:
        file_info(t)
    n, problems = build(trajectories, out, limit)
    for p in problems:
        console.print(p, markup=False, highlight=False)
    console.print(f"wrote {out} ({n} episodes)")


def main() -> None:
    try:
        app()
    except ForagerError as exc:
        console.print(f"forager: error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("forager: interrupted", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
