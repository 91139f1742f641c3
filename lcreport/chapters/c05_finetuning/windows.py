"""LongRoPE part 2, sections 5–7: what window a model really has.

Section 5 sets each configuration's claimed window (the length it was configured for) against its
effective window, by an absolute rule fixed before measuring as RULER's is (Hsieh et al. 2024): the longest
tested length at which the Wilson lower bound of its exact-match share reaches ``WINDOW_THRESHOLD`` on every
task the base model passes at L (``stages.effective_window``). Section 6 trains small Llamas of several
depths and widths at one length and measures their windows, against the "window = depth × width"
formula. Section 7 trains one small shape at several windows and compares perplexity on training
and held-out books. Each function takes the ``arms.FinetuneContext`` context (after the earlier
sections) and returns its table and the chapter's glue figures.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from tqdm import tqdm

from ...conventions import (
    GROWTH_LOWER_BOUND,
    GROWTH_MEASURED,
    GROWTH_UNMEASURABLE,
    GROWTH_UPPER_BOUND,
    PROGRESSIVE_PREFIX,
    WINDOW_THRESHOLD,
)
from ...longrope import evaluation as ev
from ...longrope import stages as st
from ...longrope.extension import extended_model
from ...models import checkpoints
from ...models import rope as rp
from ...models.training import typical_minutes
from ...plotting import legend_below, log_x, log_y, subplots
from ...stats import mean_t_interval
from ...tasks import effective_window as ew
from .arms import ARM_COLORS, FinetuneContext, no_ft_configs, stage_lengths

#: the row of the effective-window table that is the base model of part 1 as trained
BASE_CONFIGURATION = "plain RoPE (no fine-tuning)"
#: the paper's full recipe in the effective-window table (the claims rules find it by this prefix)
PROGRESSIVE_NAME = PROGRESSIVE_PREFIX
#: short names of the effective-window tasks in glue keys
TASK_KEYS = {ew.PASSKEY_TRAIN: "passkey", ew.PASSKEY_UNSEEN: "passkey_unseen", ew.COPY: "copy"}
#: the two stages of section 1's configurations, as the effective-window table names them
NO_FT, FT = "no fine-tuning", "fine-tuned"
#: the configuration fine-tuned as long at L on the same mix (section 1's control)
CONTROL = f"control ({FT})"


# --- 5. claimed against effective windows ----------------------------------------------------------------------


def claimed_window(method: str, stage: str, L: int, S) -> int:
    """The window a configuration of section 1 is configured for: L for the control and for plain RoPE without
    fine-tuning, S·L otherwise (plain RoPE fine-tuned at S·L claims S·L)."""
    return L if method == "control" or (method == "plain RoPE" and stage == NO_FT) else S * L


def progressive_lengths(L: int, top) -> list[int]:
    """L, 2L, 4L, … up to ``top``·L: the lengths at which the progressive model is tested."""
    return [L * 2**k for k in range(int(np.log2(top)) + 1)]


def effective_windows(ctx: FinetuneContext):
    """Claimed and effective window of every configuration of section 1, and of the paper's full recipe
    (progressive long factors at the top scale, readjusted short factors up to L), by the absolute rule of
    ``stages.effective_window``: each task of ``stages.WINDOW_TASKS`` is scored on the base model at L, those it
    passes judge every configuration at ``stage_lengths`` (the progressive model at ``progressive_lengths``).
    Records trials (experiment ``effective_window``); fills ``ctx.effective``."""
    P, S, L, spec = ctx.profile, ctx.S, ctx.L, ctx.spec
    kw = dict(depths=P.passkey_depths, trials=P.window_trials, seed=ctx.seed)
    units = []
    base_rows = st.window_scores(ctx.base, ctx.data, spec, [L], ew.WINDOW_TASKS, units=units, **kw)
    tasks = ew.judged_tasks(base_rows)
    trials = _window_trials(units, "base model at L", L, ctx.seed)
    top = max(P.prog_scales)
    prog_r = ctx.progressive[top]
    prog_model = extended_model(
        ctx.ft_state,
        spec,
        "longrope",
        top,
        long_factor=prog_r.best.factors,
        short_factor=ctx.short_factors,
        n_hat=prog_r.best.n_hat,
        device=ctx.device,
    )
    models = [
        (f"{name} ({NO_FT})", claimed_window(name, NO_FT, L, S), model, stage_lengths(L, S))
        for name, model in no_ft_configs(ctx).items()
    ]
    models += [
        (f"{name} ({FT})", claimed_window(name, FT, L, S), model, stage_lengths(L, S))
        for name, model in ctx.tuned.items()
    ]
    models.append((f"{PROGRESSIVE_NAME} ({top}×)", top * L, prog_model, progressive_lengths(L, top)))
    rows, scores = [], []
    for configuration, claimed, model, lengths in tqdm(models, desc="effective windows"):
        found = []
        rows_c = st.window_scores(model, ctx.data, spec, lengths, tasks, units=found, **kw)
        trials += _window_trials(found, configuration, L, ctx.seed)
        scores += [{"configuration": configuration, **r} for r in rows_c]
        rows.append(
            {
                "configuration": configuration,
                "claimed": claimed,
                "effective": ew.effective_window(rows_c, tasks),
                **{f"window: {t}": ew.task_window(rows_c, t) for t in tasks},
            }
        )
    ctx.run.add_trials(trials)
    effective = pd.DataFrame(rows).set_index("configuration")
    effective["effective / claimed"] = effective.effective / effective.claimed
    ctx.effective = effective
    at_L = {r["task"]: r for r in base_rows}
    figures = {
        "effective_rows": len(effective),
        "effective_short_of_claimed": int((effective.effective < effective.claimed).sum()),
        "effective_table": effective.reset_index().to_dict(orient="records"),
        "effective_scores": scores,
        "progressive_effective": int(effective.iloc[-1].effective),
        "ppl_tolerance": st.PPL_TOLERANCE,
        "window_threshold": WINDOW_THRESHOLD,
        "window_trials": len([u for u in units if u["task"] == ew.WINDOW_TASKS[0]]),
        "window_task_count": len(ew.WINDOW_TASKS),
        "window_tasks_judged": len(tasks),
        "window_copy_answer": st.COPY_ANSWER,
        "window_tasks_judged_names": ", ".join(tasks) if tasks else "none",
        "window_tasks_unjudged_names": ", ".join(t for t in ew.WINDOW_TASKS if t not in tasks) or "none",
        **{
            f"window_base_{TASK_KEYS[t]}_at_L": {
                "value": at_L[t]["rate"],
                "ci95": [at_L[t]["lower"], at_L[t]["upper"]],
                "n": at_L[t]["n"],
            }
            for t in ew.WINDOW_TASKS
        },
        **window_findings(scores, effective, tasks, L, S),
    }
    return effective, figures


def _names(names) -> str:
    """ "A", "A and B", "A, B and C" (semicolons between names when a name holds a comma)."""
    names = list(names)
    sep = "; " if any("," in n for n in names) else ", "
    return names[0] if len(names) == 1 else sep.join(names[:-1]) + " and " + names[-1]


def window_findings(scores: list[dict], effective: pd.DataFrame, tasks, L: int, S) -> dict:
    """Section 5's directional sentences as text figures, read from the effective-window trials (``scores``: one
    row per configuration, task and length, as ``st.window_scores`` gives them with a ``configuration``) and the
    table, so that the prose follows a re-run: who is effective beyond L, where the judged tasks disagree, who
    copies at L (and at S·L) before and after fine-tuning, and who passes the pass key at S·L."""

    def ok(configuration, task, length):
        return any(
            r["configuration"] == configuration and r["task"] == task and r["length"] == length and ew.passes(r)
            for r in scores
        )

    n_s = int(S * L)
    beyond = [c for c, row in effective.iterrows() if row["effective"] > L]
    out = {
        "window_beyond_L_text": (
            "no configuration is effective beyond L"
            if not beyond
            else f"{_names(beyond)} {'is' if len(beyond) == 1 else 'are'} effective beyond L"
        )
    }
    split = []
    for c, row in effective.iterrows():
        windows = {t: int(row[f"window: {t}"]) for t in tasks}
        if len(set(windows.values())) > 1:
            parts = [f"a window of {w:,} tokens on {t}" if w else f"no window on {t}" for t, w in windows.items()]
            e = int(row["effective"])
            split.append(f"{c}: {', '.join(parts)}, so it is effective " + (f"up to {e:,} tokens" if e else "nowhere"))
    out["window_disagreement_count"] = len(split)
    out["window_disagreements_text"] = (
        "no configuration: on every one the judged tasks give the same window" if not split else "; ".join(split)
    )
    methods = [
        c[: -len(f" ({NO_FT})")]
        for c in effective.index
        if c.endswith(f" ({NO_FT})") and f"{c[: -len(f' ({NO_FT})')]} ({FT})" in effective.index
    ]
    if ew.COPY not in tasks:
        unjudged = "not measured: the copy task does not judge this base model"
        out.update(
            {
                "copy_at_L_text": unjudged,
                "control_copy_at_L_text": unjudged,
                "copy_cost_text": unjudged,
                "copy_gained_at_S_text": unjudged,
            }
        )
    else:
        before_after = {m: (ok(f"{m} ({NO_FT})", ew.COPY, L), ok(f"{m} ({FT})", ew.COPY, L)) for m in methods}
        groups = {
            "before fine-tuning and not after": [m for m, (b, a) in before_after.items() if b and not a],
            "before and after fine-tuning": [m for m, (b, a) in before_after.items() if b and a],
            "after fine-tuning and not before": [m for m, (b, a) in before_after.items() if a and not b],
            "neither before nor after fine-tuning": [m for m, (b, a) in before_after.items() if not (a or b)],
        }
        out["copy_at_L_text"] = "; ".join(
            f"{_names(ms)} cop{'ies' if len(ms) == 1 else 'y'} at L {when}" for when, ms in groups.items() if ms
        )
        control = ok(CONTROL, ew.COPY, L) if CONTROL in effective.index else None
        out["control_copy_at_L_text"] = (
            "is not in this run" if control is None else "still copies at L" if control else "does not copy at L either"
        )
        lost = groups["before fine-tuning and not after"]
        out["copy_cost_text"] = (
            "no model lost its copying at L with fine-tuning"
            if not lost
            else f"fine-tuning cost {_names(lost)} their copying at L; without the control, the cause is not separated"
            if control is None
            else f"at this budget fine-tuning at the longer length cost {_names(lost)} their copying at L, "
            "and fine-tuning as long at L did not"
            if control
            else f"fine-tuning cost {_names(lost)} their copying at L, but so did fine-tuning as long at L, "
            "so the longer length is not shown to be the cause"
        )
        gained = [m for m in methods if ok(f"{m} ({FT})", ew.COPY, n_s) and not ok(f"{m} ({NO_FT})", ew.COPY, n_s)]
        out["copy_gained_at_S_text"] = _names(gained) if gained else "no method"
    tuned = [c for c in effective.index if c.endswith(f" ({FT})") and c != CONTROL]
    passing = [c for c in tuned if ok(c, ew.PASSKEY_TRAIN, n_s)] if ew.PASSKEY_TRAIN in tasks else []
    out["ft_passkey_at_S_text"] = (
        f"{_names(passing)} {'passes' if len(passing) == 1 else 'pass'}"
        if passing
        else "no fine-tuned configuration passes"
    )
    extended = effective[effective.claimed > L]
    short = int((extended.effective < extended.claimed).sum())
    out["extended_fail_text"] = (
        "every extended configuration fails it"
        if short == len(extended)
        else f"{short} of {len(extended)} extended configurations fail it"
    )
    return out


def _window_trials(units, configuration: str, L: int, seed: int) -> list[dict]:
    """Trials of the effective-window tasks in the results contract (metric: the task; value: 0/1)."""
    return [
        {
            "experiment": "effective_window",
            "arm": configuration,
            "scale": u["length"] / L,
            "seed": seed,
            "unit": u["trial"],
            "metric": u["task"],
            "value": u["exact"],
            "length": u["length"],
        }
        for u in units
    ]


def plot_windows(effective: pd.DataFrame):
    """Claimed against effective window of each configuration (horizontal bars, log scale)."""
    fig, ax = subplots(figsize=(5.0, 1.6 + 0.45 * len(effective)))
    y = np.arange(len(effective))
    ax.barh(y - 0.2, effective.claimed, height=0.4, color="#bbbbbb", label="claimed (configured)")
    ax.barh(
        y + 0.2,
        effective.effective.clip(lower=1),
        height=0.4,
        color=rp.COLOURS["longrope"],
        label="effective (measured)",
    )
    ax.set_yticks(y, effective.index)
    log_x(ax)
    ax.set_xlabel("context length (tokens, log scale)")
    ax.invert_yaxis()
    legend_below(fig, ax)
    ax.set_title("Claimed vs effective window")
    return fig


def plot_window_scores(scores, threshold: float = WINDOW_THRESHOLD):
    """Exact share against length for every configuration, one panel per judged task: the Wilson lower bound
    as the line (what the rule reads), the point estimate as dots; dashed: no fine-tuning; the threshold dotted."""
    frame = pd.DataFrame(scores)
    tasks = list(dict.fromkeys(frame.task)) if len(frame) else []
    fig, axes = subplots(max(1, len(tasks)), figsize=(5.0, 1.0 + 3.2 * max(1, len(tasks))), sharex=True, squeeze=False)
    axes = axes[:, 0]
    for ax, task in zip(axes, tasks):
        for configuration, g in frame[frame.task == task].groupby("configuration", sort=False):
            name = configuration.split(" (")[0]
            color = (
                rp.COLOURS["longrope"]
                if configuration.startswith(PROGRESSIVE_NAME)
                else ARM_COLORS.get(name, "#000000")
            )
            ls = "--" if "no fine-tuning" in configuration else "-"
            ax.plot(g.length, g.lower, ls=ls, color=color, marker="o", ms=3, label=configuration)
            ax.plot(g.length, g.rate, ls="none", marker=".", color=color, alpha=0.5)
        ax.axhline(threshold, color="k", ls=":", lw=1)
        log_x(ax)
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel("exact share (line: Wilson lower bound)")
        ax.set_title(task)
    axes[-1].set_xlabel("evaluation length (tokens, log scale)")
    if tasks:
        legend_below(fig, axes[0])
    return fig


# --- 6. depth × width ------------------------------------------------------------------------------------------


def bert_base_figures() -> dict:
    """What the depth × width formula gives BERT-base, and its real number of positions (transformers' defaults)."""
    from transformers import BertConfig

    cfg = BertConfig()
    return {
        "bert_depth_times_width": cfg.num_hidden_layers * cfg.hidden_size,
        "bert_positions": cfg.max_position_embeddings,
    }


def depth_width(ctx: FinetuneContext):
    """Small Llamas of each (layers, hidden) of ``dw_models`` trained at ``dw_length`` (cached), each measured
    at multiples of that length with plain RoPE; their window is the longest length whose last-L₀
    perplexity stays within ``stages.PPL_TOLERANCE`` of their own at L₀.

    Returns (table, per-length curves, figures); appends to ``ctx.train_log``.
    """
    P, spec = ctx.profile, ctx.spec
    figures = {**bert_base_figures(), "dw_length": P.dw_length}
    rows, curves = [], []
    for layers, hidden in P.dw_models:
        sspec = st.small_spec(spec, layers=layers, hidden=hidden, length=P.dw_length, steps=P.dw_steps)
        model, hist, _ = checkpoints.trained_model(sspec, ctx.data, ctx.device)
        ctx.train_log.append(typical_minutes(hist))
        curve = st.length_profile(model, ctx.data, sspec, P.dw_multiples, P.stage_chunks, ctx.seed)
        own = curve[0]["ppl last L"]
        window = ev.effective_length(
            [c["length"] for c in curve], [c["ppl last L"] for c in curve], own, st.PPL_TOLERANCE
        )
        curves += [{"model": f"{layers} × {hidden}", **c} for c in curve]
        rows.append(
            {
                "model": f"{layers} layers × {hidden} wide",
                "parameters": sum(p.numel() for p in model.parameters()),
                "ppl at L₀": own,
                "predicted window (depth × width)": layers * hidden,
                "measured window": window or 0,
                "measured / L₀": (window or 0) / P.dw_length,
            }
        )
    dw = pd.DataFrame(rows).set_index("model")
    products = dw["predicted window (depth × width)"]
    longest = P.dw_length * max(P.dw_multiples)
    dw["censored (≥ longest tested)"] = ["✓" if w >= longest else "" for w in dw["measured window"]]
    largest = dw.loc[products == products.max(), "measured window"].max()
    smallest = dw.loc[products == products.min(), "measured window"].max()
    growth = largest / max(1, smallest)
    figures["dw_growth_censored"] = growth_censoring(smallest, largest, longest)
    figures["dw_censored_models"] = int((dw["measured window"] >= longest).sum())
    figures["dw_longest_tested"] = int(longest)
    base_window = int(ctx.effective.loc[BASE_CONFIGURATION, "effective"])
    figures.update(
        {
            "dw_window_growth": float(growth),
            "dw_predicted_growth": float(products.max() / products.min()),
            "dw_base_predicted": spec.layers * spec.hidden,
            "dw_base_window": base_window,
            "dw_base_layers": spec.layers,
            "dw_base_hidden": spec.hidden,
            "dw_base_window_over_predicted": base_window / (spec.layers * spec.hidden),
            "dw_max_window_over_L": float(dw["measured / L₀"].max()),
            "dw_table": dw.reset_index().to_dict(orient="records"),
        }
    )
    return dw, pd.DataFrame(curves), figures


def growth_censoring(smallest: int, largest: int, longest: int) -> str:
    """A window that reaches the longest tested length is censored: the model may read further. The growth
    largest ÷ smallest is measured if neither is censored, a lower bound if only the largest model's is, an
    upper bound if only the smallest model's is, and not measurable if both are."""
    if smallest >= longest:
        return GROWTH_UNMEASURABLE if largest >= longest else GROWTH_UPPER_BOUND
    return GROWTH_LOWER_BOUND if largest >= longest else GROWTH_MEASURED


def plot_length_profiles(curves: pd.DataFrame):
    """Perplexity of the last L₀ tokens against length / L₀, one line per depth × width."""
    fig, ax = subplots()
    for name, g in curves.groupby("model", sort=False):
        ax.plot(g["multiple of L"], g["ppl last L"], marker="o", label=name)
    ax.axvline(1, color="k", ls=":", lw=1)
    log_x(ax)
    log_y(ax)
    ax.set_xlabel("evaluation length / training length L₀ (log scale)")
    ax.set_ylabel("perplexity of the last L₀ tokens (log scale)")
    ax.set_title("Perplexity past the training length,\nby depth × width")
    legend_below(fig, ax, title="layers × width")
    return fig


# --- 7. the train / held-out gap against the window ---------------------------------------------------------------


def overfit_gap(ctx: FinetuneContext):
    """The first shape of ``dw_models`` trained at each of ``overfit_lengths`` for the same steps (cached), once per
    training seed of ``base_seeds``; perplexity on training and held-out books at its own length, and the gap.
    The table holds the means over seeds (and each seed's gap); ``overfit_gap_growth`` is the gap's growth from
    the shortest to the longest window, its mean over seeds with a t interval over them. Also the chapter's
    training minutes (every model of part 2: recorded with the weights, and trained in this run)."""
    P, spec = ctx.profile, ctx.spec
    layers, hidden = P.dw_models[0]
    rows = []
    for seed in P.base_seeds:
        for length in P.overfit_lengths:
            sspec = replace(
                st.small_spec(spec, layers=layers, hidden=hidden, length=length, steps=P.dw_steps), seed=seed
            )
            model, hist, _ = checkpoints.trained_model(sspec, ctx.data, ctx.device)
            if (length, seed) != (P.dw_length, spec.seed):  # that one is the first model of section 6, already counted
                ctx.train_log.append(typical_minutes(hist))
            rows.append(
                {
                    "seed": seed,
                    "window": length,
                    "tokens seen": P.dw_steps * sspec.batch_size * length,
                    **st.train_gap(model, ctx.data, sspec, P.stage_chunks, ctx.seed),
                }
            )
    per_seed = pd.DataFrame(rows)
    gaps = per_seed.pivot_table(index="window", columns="seed", values="gap (nats)")
    overfit = per_seed.groupby("window")[["tokens seen", "train ppl", "held-out ppl", "gap (nats)"]].mean()
    for seed in gaps.columns:
        overfit[f"gap, seed {seed}"] = gaps[seed]
    growth = gaps.iloc[-1] - gaps.iloc[0]  # per seed: longest window's gap minus the shortest's
    figures = {
        "overfit_model": f"{layers} layers × {hidden} wide",
        "overfit_seeds": len(growth),
        "overfit_gap_growth": mean_t_interval(growth.to_numpy()),
        "overfit_gap_short": float(overfit["gap (nats)"].iloc[0]),
        "overfit_gap_long": float(overfit["gap (nats)"].iloc[-1]),
        "overfit_growth_by_seed": [float(g) for g in growth],
        "overfit_table": overfit.reset_index().to_dict(orient="records"),
        "train_minutes_all": float(sum(ctx.train_log)),
    }
    return overfit, figures


def plot_overfit(overfit: pd.DataFrame):
    """Perplexity on training and held-out books against the training window."""
    fig, ax = subplots()
    ax.plot(overfit.index, overfit["train ppl"], marker="o", label="training books")
    ax.plot(overfit.index, overfit["held-out ppl"], marker="s", label="held-out books")
    log_x(ax)
    ax.set_xlabel("training window (tokens, log scale)")
    ax.set_ylabel("perplexity at the model's own window")
    ax.set_title("Same model, same tokens, different windows")
    ax.legend()
    return fig
