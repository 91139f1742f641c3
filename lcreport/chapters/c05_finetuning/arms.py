"""LongRoPE part 2, sections 1–2: a short fine-tune at S·L against a control, every configuration
scored before and after it, and progressive extension against a one-shot search (Ding et al. 2024, §3.3).

``finetune_context`` loads what every section of part 2 starts from (chapter 04's base model and the
factors part 1 searched); each section function takes that context, runs its experiment, leaves
on the context what a later section reads, and returns ``(table, figures)`` where ``figures`` maps
the chapter's glue names to values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from tqdm import tqdm

from ... import results
from ...longrope import evaluation as ev
from ...longrope import stages as st
from ...longrope.extension import extended_model
from ...longrope.search import search
from ...models import checkpoints
from ...models import rope as rp
from ...models.lm_data import Data
from ...models.training import typical_minutes
from ...plotting import legend_below, log_x, log_y, subplots
from ...stats import LEVEL, paired_record, relation, share
from ..base_model import BaseModel, trained_base

#: Ding et al. 2024, §4.1: LLaMA2 is fine-tuned 400 steps at 128k, then 600 at 256k
PAPER_FT_STEPS = (400, 600)
#: the lengths of those two fine-tunes, in thousands of tokens as the paper writes them ("128k", "256k")
PAPER_FT_LENGTHS_K = (128, 256)
#: the paper's final window (§3.3), reached by searching again on the model fine-tuned at 256k
PAPER_TOP_LENGTH_K = 2048
#: the fine-tuned arm with LongRoPE's temperature and the factors its search starts from best (YaRN's), not searched
NO_SEARCH = "LongRoPE, no search"
#: the fine-tuned arms of section 1, in training order: name → method (``control`` = plain RoPE at L with the same
#: tokens; ``plain RoPE`` is trained at S·L without rescaling: "just train longer")
FT_ARMS = {
    rp.SHORT["rope"]: "rope",
    rp.SHORT["linear"]: "linear",
    rp.SHORT["yarn"]: "yarn",
    NO_SEARCH: "longrope",
    rp.SHORT["longrope"]: "longrope",
    "control": "control",
}
#: the configurations scored without fine-tuning: name → method (plain RoPE is configured for 2S, only to admit 2S·L)
NO_FT_ARMS = {rp.SHORT[m]: m for m in ("rope", "linear", "yarn", "longrope")}
#: the metric of the per-window trials and paired comparisons of part 2
NLL_LAST = "mean NLL of the last L tokens (nats)"
#: line colour of each configuration in the figures of part 2
ARM_COLORS = {**{name: rp.COLOURS[m] for name, m in NO_FT_ARMS.items()}, NO_SEARCH: "#8c564b", "control": "#000000"}


def halved(n: int) -> int:
    """Windows or trials for the costlier long-length evaluations: half the profile's, at least 2."""
    return max(2, n // 2)


@dataclass
class FinetuneContext:
    """What the sections of chapter 05 share: the run, chapter 04's base model (the ``BaseModel`` every chapter
    uses) and its searched factors, and what each section leaves for the next (filled in section order)."""

    run: results.Run
    trained: BaseModel
    base_key: str
    lr_factors: np.ndarray
    train_log: list = field(default_factory=list)  # each model's training minutes at its median rate per step
    tuned: dict = field(default_factory=dict)  # section 1: fine-tuned model per arm
    stages: pd.DataFrame | None = None  # section 1: every configuration at every length
    ft_state: dict | None = None  # section 2: the fine-tuned LongRoPE weights
    progressive: dict = field(default_factory=dict)  # section 2: scale → progressive SearchResult
    short_factors: np.ndarray | None = None  # section 3: the readjusted short factors
    effective: pd.DataFrame | None = None  # section 5: claimed vs effective windows

    @property
    def profile(self):
        return self.run.profile

    @property
    def data(self) -> Data:
        return self.trained.data

    @property
    def base(self):
        """The base model itself (plain RoPE, not fine-tuned)."""
        return self.trained.model

    @cached_property
    def base_state(self) -> dict:
        """The base model's weights without the tied output layer: what every fine-tune starts from."""
        return st.state_of(self.trained.model)

    @property
    def spec(self):
        return self.run.profile.llama

    @property
    def L(self) -> int:
        return self.spec.train_length

    @property
    def S(self):
        return self.run.profile.ft_scale

    @property
    def device(self):
        return self.run.device

    @property
    def seed(self) -> int:
        return self.run.seed

    def base_reference(self) -> tuple[float, float]:
        """The base model at L (plain RoPE, no fine-tuning): (perplexity of the last L tokens, pass-key exact)."""
        L = self.L  # noqa: F841 - read by the query below as @L
        row = self.stages.query("method == 'plain RoPE' and length == @L").iloc[0]
        return float(row["ppl last L"]), float(row["pass key exact"])


def searched_factors(scale) -> np.ndarray:
    """The LongRoPE factors part 1 searched for ``scale`` (from ``results/longrope.json``)."""
    searched = results.figure("longrope", "searched_factors")
    if str(scale) not in searched:
        raise KeyError(
            f"part 1 searched no factors for scale {scale}: its scales were {sorted(searched)}; re-run 04_longrope"
        )
    return np.array(searched[str(scale)])


def finetune_context(run: results.Run) -> FinetuneContext:
    """Chapter 04's base model (from the cache, or trained now) and its factors for ``ft_scale``."""
    spec = run.profile.llama
    return FinetuneContext(
        run=run,
        trained=trained_base(spec, run.device),
        base_key=checkpoints.checkpoint_key(spec),
        lr_factors=searched_factors(run.profile.ft_scale),
    )


# --- 1. fine-tuning at S·L against a control -----------------------------------------------------------------


def arm_factors(ctx: FinetuneContext, name: str):
    """The long factors a fine-tuned arm is configured with: part 1's searched ones for LongRoPE, YaRN's for
    ``NO_SEARCH`` (the best starting point of part 1's search), none otherwise."""
    if name == "LongRoPE":
        return ctx.lr_factors
    if name == NO_SEARCH:
        spec = ctx.spec
        return rp.factors_yarn(ctx.S, spec.hidden // spec.heads, spec.rope_theta, spec.train_length)
    return None


def tune(ctx: FinetuneContext, name: str, seed: int):
    """Arm ``name`` of ``FT_ARMS`` fine-tuned with ``seed`` (cached); (model, history DataFrame, from cache).
    Logs its training minutes on ``ctx.train_log``."""
    P = ctx.profile
    model, hist, cached, _ = st.fine_tuned(
        ctx.base_state,
        ctx.spec,
        ctx.data,
        FT_ARMS[name],
        ctx.S,
        steps=P.ft_steps,
        batch_size=P.ft_batch,
        lr=P.ft_lr,
        device=ctx.device,
        long_factor=arm_factors(ctx, name),
        base_key=ctx.base_key,
        seed=seed,
    )
    h = pd.DataFrame(hist)
    ctx.train_log.append(typical_minutes(h.to_dict(orient="records")))
    return model, h, cached


def fine_tune_arms(ctx: FinetuneContext):
    """Every arm of ``FT_ARMS`` fine-tuned at S·L (the control at L) with the chapter's seed (cached); their
    training table. Fills ``ctx.tuned`` and ``ctx.train_log``.
    """
    P, S, L = ctx.profile, ctx.S, ctx.L
    rows = []
    for name, method in FT_ARMS.items():
        model, h, cached = tune(ctx, name, ctx.seed)
        ctx.tuned[name] = model
        rows.append(
            {
                "method": name,
                "length": L if method == "control" else S * L,
                "steps": P.ft_steps,
                "tokens": int(h.tokens.iloc[-1]),
                "minutes": h.seconds.iloc[-1] / 60,
                "final loss": float(h.loss.iloc[-3:].mean()),
                "checkpoint": "cache" if cached else "trained now",
            }
        )
    ft = pd.DataFrame(rows).set_index("method")
    spec = ctx.spec
    figures = {
        "ft_steps": P.ft_steps,
        "ft_scale": S,
        "ft_tokens": int(ft.loc["LongRoPE", "tokens"]),
        "ft_minutes_each": float(ft.minutes.mean()),
        "paper_ft_steps": sum(PAPER_FT_STEPS),
        "paper_ft_steps_first": PAPER_FT_STEPS[0],
        "paper_ft_steps_second": PAPER_FT_STEPS[1],
        "paper_ft_k_first": PAPER_FT_LENGTHS_K[0],
        "paper_ft_k_second": PAPER_FT_LENGTHS_K[1],
        "ft_share_of_pretraining": int(ft.loc["LongRoPE", "tokens"])
        / (spec.steps * spec.batch_size * spec.train_length),
    }
    return ft, figures


def stage_lengths(L: int, S) -> list[int]:
    """The evaluation lengths of section 1: L, 2L, S·L and 2S·L, each once (S = 2 makes two of them one)."""
    return sorted({L, 2 * L, S * L, 2 * S * L})


def no_ft_configs(ctx: FinetuneContext) -> dict:
    """The base model under each of ``NO_FT_ARMS``, not fine-tuned (plain RoPE configured for 2S, to admit 2S·L)."""
    S = ctx.S
    return {
        name: extended_model(
            ctx.base_state,
            ctx.spec,
            method,
            2 * S if method == "rope" else S,
            long_factor=ctx.lr_factors if method == "longrope" else None,
            device=ctx.device,
        )
        for name, method in NO_FT_ARMS.items()
    }


def stage_evaluation(ctx: FinetuneContext):
    """Every configuration, without and with fine-tuning, at each of ``stage_lengths``; pivot table of
    perplexity (last L). Fills ``ctx.stages``; records per-window trials and two paired comparisons at S·L
    (fine-tuned LongRoPE against the control, and against LongRoPE without fine-tuning)."""
    P, S, L, spec = ctx.profile, ctx.S, ctx.L, ctx.spec
    lengths = stage_lengths(L, S)
    configs = no_ft_configs(ctx)
    rows, units, key_units = [], [], []
    for stage, models in (("no fine-tuning", configs), ("fine-tuned", ctx.tuned)):
        for name, model in tqdm(list(models.items()), desc=f"evaluating, {stage}"):
            found, keys = [], []
            rows += [
                {"method": name, "stage": stage, **r}
                for r in st.evaluate(
                    model,
                    ctx.data,
                    spec,
                    lengths,
                    chunks=P.stage_chunks,
                    depths=P.stage_depths,
                    trials=P.stage_trials,
                    seed=ctx.seed,
                    units=found,
                    key_units=keys,
                )
            ]
            arm = f"{name} ({stage})"
            units += [
                {
                    "experiment": "stages",
                    "arm": arm,
                    "scale": u["length"] / L,
                    "seed": ctx.seed,
                    "unit": u["window"],
                    "metric": NLL_LAST,
                    "value": u["nll last L"],
                    "length": u["length"],
                }
                for u in found
            ]
            key_units += [
                {
                    "experiment": "stages",
                    "arm": arm,
                    "scale": k["length"] / L,
                    "seed": ctx.seed,
                    "unit": k["unit"],
                    "metric": "exact",
                    "value": k["exact"],
                    "length": k["length"],
                    "depth": k["depth"],
                }
                for k in keys
            ]
    ctx.stages = stages = pd.DataFrame(rows)
    ctx.run.add_trials(units + key_units)
    for cid, a in (
        ("ft_longrope_vs_control_SL", "control (fine-tuned)"),
        ("ft_longrope_vs_noft_SL", "LongRoPE (no fine-tuning)"),
    ):
        ctx.run.compare(paired_comparison(units, cid, "stages", S, a, "LongRoPE (fine-tuned)", seed=ctx.seed))
    base_L, base_key_L = ctx.base_reference()

    def at(m, s, n, col="ppl last L"):
        return float(stages.query("method == @m and stage == @s and length == @n")[col].iloc[0])

    SL = S * L
    figures = {
        "base_ppl_L": base_L,
        "base_passkey_L": base_key_L,
        "ci_level": LEVEL,
        "lr_noft_ppl_SL": at("LongRoPE", "no fine-tuning", SL),
        "lr_ft_ppl_SL": at("LongRoPE", "fine-tuned", SL),
        "pi_noft_ppl_SL": at("PI", "no fine-tuning", SL),
        "pi_ft_ppl_SL": at("PI", "fine-tuned", SL),
        "yarn_ft_ppl_SL": at("YaRN", "fine-tuned", SL),
        "control_ppl_SL": at("control", "fine-tuned", SL),
        "control_ppl_L": at("control", "fine-tuned", L),
        "ft_gain_longrope": at("LongRoPE", "no fine-tuning", SL) / at("LongRoPE", "fine-tuned", SL),
        "pi_ft_vs_base": at("PI", "fine-tuned", SL) / base_L,
        "lr_ft_passkey_SL": stage_share(key_units, "LongRoPE (fine-tuned)", SL),
        "control_passkey_SL": stage_share(key_units, "control (fine-tuned)", SL),
        "pi_ft_passkey_SL": stage_share(key_units, "PI (fine-tuned)", SL),
        "yarn_ft_passkey_SL": stage_share(key_units, "YaRN (fine-tuned)", SL),
        "stage_passkey_n": P.stage_trials * len(P.stage_depths),
        "stage_table": stages.to_dict(orient="records"),
    }
    return stages.pivot_table(index=["method", "stage"], columns="length", values="ppl last L"), figures


def stage_share(key_units: list, arm: str, length: int) -> dict:
    """Share of whole pass keys ``arm`` recovered at ``length`` in section 1, with its Wilson interval and n."""
    hits = [k["value"] for k in key_units if k["arm"] == arm and k["length"] == length]
    if not hits:
        raise ValueError(f"no pass-key trials of {arm!r} at {length} tokens")
    return share(hits)


def paired_comparison(units, cid: str, experiment: str, scale, a: str, b: str, *, seed: int = 0) -> dict:
    """``b − a`` over the windows both arms were scored on (trial rows of ``experiment`` at ``scale``),
    in the shape of ``results.COMPARISON_FIELDS``; windows are paired by (length, unit)."""
    frame = pd.DataFrame(list(units))
    frame = frame[(frame.experiment == experiment) & np.isclose(frame.scale, scale)]
    wide = frame.pivot_table(index=["length", "unit"], columns="arm", values="value").dropna(subset=[a, b])
    return paired_record(
        wide[a].to_numpy(), wide[b].to_numpy(), cid, experiment, scale, a, b, seed=seed, metric=frame.metric.iloc[0]
    )


def plot_stages(stages: pd.DataFrame, L: int, S):
    """Perplexity and pass-key accuracy against length for every configuration (dashed: no fine-tuning)."""
    fig, axes = subplots(2, figsize=(5.0, 8.2), sharex=True)
    for (name, stage), g in stages.groupby(["method", "stage"]):
        ls = "-" if stage == "fine-tuned" else "--"
        label = f"{name} ({stage})"
        axes[0].plot(g.length, g["ppl last L"], marker="o", ls=ls, color=ARM_COLORS[name], label=label)
        axes[1].plot(g.length, g["pass key exact"], marker="o", ls=ls, color=ARM_COLORS[name], label=label)
    for ax in axes:
        ax.axvline(L, color="k", ls=":", lw=1)
        ax.axvline(S * L, color="k", ls="-.", lw=1)
        log_x(ax)
    log_y(axes[0])
    axes[0].set_ylabel("perplexity, last L tokens")
    axes[1].set_ylabel("pass-key exact match")
    axes[1].set_ylim(-0.05, 1.05)
    axes[0].set_title("Perplexity: dashed = no fine-tuning")
    axes[1].set_title("Pass-key retrieval")
    axes[1].set_xlabel("evaluation length (tokens, log scale)")
    legend_below(fig, axes[0])
    return fig


# --- 2. progressive extension against a one-shot search ------------------------------------------------------

#: the arm of section 2 that is fine-tuned but not searched again: the fine-tuned factors stretched to the new scale
PROG_STRETCHED = "fine-tuned, own factors stretched (no new search)"
#: progressive extension's paired comparisons, b − a, as (id at the top scale, arm a, arm b); at a lower scale s the
#: id ends in ``_<s>`` instead of ``_top``
PROG_COMPARISONS = (
    ("progressive_vs_oneshot_top", "one-shot", "progressive"),
    ("progressive_vs_stretched_top", PROG_STRETCHED, "progressive"),
    ("stretched_vs_oneshot_top", "one-shot", PROG_STRETCHED),
)


def progressive_extension(ctx: FinetuneContext):
    """For each of ``prog_scales``: a search on the fine-tuned LongRoPE model (seeded also with its own
    factors, stretched) and a one-shot search on the base model, each scored on held-out windows.

    Fills ``ctx.ft_state`` and ``ctx.progressive``; records per-window trials and the paired comparison
    ``progressive_vs_oneshot_top`` at the top scale.
    """
    P, S, L, spec, dev = ctx.profile, ctx.S, ctx.L, ctx.spec, ctx.device
    ctx.ft_state = st.state_of(ctx.tuned["LongRoPE"])
    rows, units = [], []
    for s in P.prog_scales:
        stretched = ctx.lr_factors * s / S
        chunks = ev.eval_chunks(ctx.data.heldout, s * L, halved(P.stage_chunks), ctx.seed)  # every arm's windows
        for stage, state, extra in (
            ("progressive", ctx.ft_state, {"fine-tuned, stretched": stretched}),
            ("one-shot", ctx.base_state, None),
        ):
            r = search(
                state,
                spec,
                ctx.data,
                s,
                P.stage_search,
                seed=ctx.seed,
                extra_seeds=extra,
                device=dev,
                progress=lambda it: tqdm(it, desc=f"{stage} search s={s}"),
            )
            model = extended_model(
                state, spec, "longrope", s, long_factor=r.best.factors, n_hat=r.best.n_hat, device=dev
            )
            ppl = ev.perplexity(model, chunks, L, all_tokens=False)
            if stage == "progressive":
                ctx.progressive[s] = r
            rows.append(
                {
                    "scale": s,
                    "stage": stage,
                    "search ppl": r.best_fitness,
                    "n̂": r.best.n_hat,
                    "held-out ppl (last L)": ppl["ppl_last"],
                    "evaluations": r.evaluations,
                    "search minutes": r.seconds / 60,
                }
            )
            units += [
                {
                    "experiment": "progressive",
                    "arm": stage,
                    "scale": s,
                    "seed": ctx.seed,
                    "unit": i,
                    "metric": NLL_LAST,
                    "value": float(v),
                    "length": s * L,
                }
                for i, v in enumerate(ppl["nll_last_chunks"])
            ]
        # the fine-tuned model with its own factors stretched to s and no new search: what fine-tuning alone gives
        # (progressive − this is what the second search adds), on the same windows
        model = extended_model(ctx.ft_state, spec, "longrope", s, long_factor=stretched, device=dev)
        ppl = ev.perplexity(model, chunks, L, all_tokens=False)
        rows.append({"scale": s, "stage": PROG_STRETCHED, "held-out ppl (last L)": ppl["ppl_last"], "evaluations": 0})
        units += [
            {
                "experiment": "progressive",
                "arm": PROG_STRETCHED,
                "scale": s,
                "seed": ctx.seed,
                "unit": i,
                "metric": NLL_LAST,
                "value": float(v),
                "length": s * L,
            }
            for i, v in enumerate(ppl["nll_last_chunks"])
        ]
    prog = pd.DataFrame(rows).set_index(["scale", "stage"])
    top = max(P.prog_scales)
    ctx.run.add_trials(units)
    figures = {}
    for s in P.prog_scales:
        for top_id, a, b in PROG_COMPARISONS:
            cid = top_id if s == top else f"{top_id.removesuffix('_top')}_{s}"
            c = ctx.run.compare(paired_comparison(units, cid, "progressive", s, a, b, seed=ctx.seed))
            figures[f"rel_{cid}"] = relation(c)

    def held(stage):
        return float(prog.loc[(top, stage), "held-out ppl (last L)"])

    figures.update(
        {
            "prog_top_scale": top,
            "progressive_vs_oneshot": held("progressive") / held("one-shot"),
            "prog_ppl_top": held("progressive"),
            "oneshot_ppl_top": held("one-shot"),
            "prog_stretched_ppl_top": held(PROG_STRETCHED),
            "prog_windows": halved(P.stage_chunks),
            "prog_scales_text": ", ".join(f"{s}·L" for s in P.prog_scales),
            "progressive_table": prog.reset_index().to_dict(orient="records"),
            "paper_top_k": PAPER_TOP_LENGTH_K,
        }
    )
    return prog, figures
