"""LongRoPE part 1 at the largest scale: the paired comparisons the chapter's findings and the claims rest on.

Every arm is scored on the same evaluation windows (or the same pass-key prompts), so two arms are
compared unit by unit: the per-window difference of the mean NLL over the last L tokens with a paired
bootstrap interval and the smallest difference the design detects (``analysis.stats``), and pass keys by
exact McNemar on paired trials. LongRoPE is the search chosen on the validation split, never on the
windows that report the result. Sections:

- ``top_scale_findings``: every method against the others (perplexity);
- ``temperature_grid``: PI, NTK, YaRN and the searched factors × no scaling, YaRN's and LongRoPE's
  attention temperature, through transformers' ``longrope`` type (which reproduces the ``linear``,
  ``dynamic`` and ``yarn`` types where they coincide: a unit test checks), so that the factors and the
  temperature are changed one at a time;
- ``search_heldout``: each search seed's result against the best of its starting points (PI, NTK or YaRN
  factors at LongRoPE's temperature: what the search began from), on the held-out windows;
- ``passkeys_top``: pass keys with the training template and with one never seen in training;
- ``retrieval_decomposition``: LongRoPE's pass keys split into its n̂, its factors and its temperature;
- ``n_hat_ablation``: the chosen search's n̂ against n̂ = 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import stats
from ...conventions import ALPHA
from ...longrope import evaluation as ev
from ...longrope.extension import extended_model
from ...models import rope as rp
from ...profiles import Profile
from ...tasks.passkey import HELD_OUT_TEMPLATE, TRAINING_TEMPLATE, PasskeyTask
from ..base_model import BaseModel
from ..sections import Section, exact_share, nll_rows, passkey_trial_rows
from .no_finetuning import chosen_kwargs, evaluation_chunks

LR = rp.LABELS["longrope"]
#: (comparison id, glue key of its relation in words, arm a, arm b): b − a of the per-window NLL of the last
#: L tokens at the top scale
COMPARISONS = (
    ("ppl_lr_vs_pi", "lr_vs_pi", rp.LABELS["linear"], LR),
    ("ppl_lr_vs_yarn", "lr_vs_yarn", rp.LABELS["yarn"], LR),
    ("ppl_lr_vs_ntk", "lr_vs_ntk", rp.LABELS["dynamic"], LR),
    ("ppl_yarn_vs_ntk", "yarn_vs_ntk", rp.LABELS["dynamic"], rp.LABELS["yarn"]),
    ("ppl_pi_vs_plain", "pi_vs_plain", rp.LABELS["rope"], rp.LABELS["linear"]),
)
#: the factor sets of the grid: name → closed-form method (None: the search chosen on validation)
FACTOR_SETS = {**{rp.SHORT[m]: m for m in rp.FACTOR_FUNCTIONS}, "searched": None}
#: grid cells that are exactly a method of section 4 (same factors, same temperature)
SAME_AS_METHOD = {
    ("PI", "none"): rp.LABELS["linear"],
    ("NTK", "none"): rp.LABELS["dynamic"],
    ("YaRN", "YaRN's"): rp.LABELS["yarn"],
    ("searched", "LongRoPE's"): LR,
}
#: the power at which the smallest detectable difference is stated
DETECT_POWER = stats.DETECT_POWER
#: the arms scored by pass keys at the top scale
PASSKEY_METHODS = rp.EXTENDING_METHODS


def unit_values(trials, experiment: str, arm: str, scale: float, metric: str) -> np.ndarray:
    """One arm's values of ``metric`` from trial rows, ordered by unit (so two arms pair unit by unit): how a
    reader recomputes a comparison from ``results/longrope.trials.csv``."""
    t = pd.DataFrame(trials)
    sel = t[(t.experiment == experiment) & (t.arm == arm) & (t.scale == scale) & (t.metric == metric)]
    if sel.empty:
        raise KeyError(f"no {metric} trials of {arm!r} at scale {scale} in {experiment}")
    return sel.sort_values("unit").value.to_numpy(dtype=float)


def interval_ppl(nll: np.ndarray, *, seed: int) -> dict:
    """Perplexity of the mean NLL with its bootstrap interval over windows."""
    value, ci = stats.mean_ci(nll, transform=np.exp, seed=seed)
    return {"value": value, "ci95": ci, "n": len(nll)}


def top_scale_findings(methods: Section, plain: Section, P: Profile, *, seed: int) -> Section:
    """Every method against the others at the largest scale (paired, same windows); the table is the
    comparisons'."""
    scored, top, L = methods.results["scored"], max(P.scales), P.llama.train_length
    comparisons = [
        stats.paired_record(scored[a], scored[b], cid, "ppl_noft", top, a, b, seed=seed) for cid, _, a, b in COMPARISONS
    ]
    base_L = plain.table.loc[L, "ppl (last L tokens)"]
    figures = {
        "top_scale": top,
        "detect_power": DETECT_POWER,
        "lr_best_ppl": interval_ppl(scored[LR], seed=seed),
        "yarn_ppl_top": interval_ppl(scored[rp.LABELS["yarn"]], seed=seed),
        "pi_ppl_top": interval_ppl(scored[rp.LABELS["linear"]], seed=seed),
        "plain_ppl_top": interval_ppl(scored[rp.LABELS["rope"]], seed=seed),
        "ntk_ppl_top": interval_ppl(scored[rp.LABELS["dynamic"]], seed=seed),
        **{key: stats.relation(c) for (_, key, _, _), c in zip(COMPARISONS, comparisons)},
        "lr_vs_base_L": float(np.exp(scored[LR].mean()) / base_L),
    }
    return Section(comparison_table(comparisons), figures, comparisons=comparisons)


def comparison_table(comparisons) -> pd.DataFrame:
    """One row per comparison: arms, difference, 95% interval, n, smallest detectable difference, p."""
    return pd.DataFrame(
        [
            {
                "b − a": f"{c['b']} − {c['a']}",
                "difference": c["diff"],
                "95% CI": tuple(c["ci95"]),
                "n": c["n"],
                **({"detectable": c["detectable"]} if "detectable" in c else {}),
                **({"p (McNemar)": c["p"]} if "p" in c else {}),
            }
            for c in comparisons
        ]
    ).set_index("b − a")


#: LongRoPE's attention temperature, as the grid names it
LR_TEMP = "LongRoPE's"


def grid_arm(factors: str, temperature: str) -> str:
    return f"{factors} factors · {temperature} temperature"


def temperature_grid(base: BaseModel, P: Profile, searches: Section, methods: Section, *, seed: int) -> Section:
    """Every factor set of ``FACTOR_SETS`` at every temperature of ``rope.TEMPERATURES``, on the top scale's
    windows; cells that are a method of section 4 reuse its scores. ``results["scored"]``: cell → per-window
    NLL of the last L tokens."""
    top, L = max(P.scales), base.L
    dim, chunks, scored, trials = base.spec.hidden // base.spec.heads, None, {}, []
    for name, method in FACTOR_SETS.items():
        kw = (
            chosen_kwargs(searches, top)
            if method is None
            else {"long_factor": rp.FACTOR_FUNCTIONS[method](top, dim, base.spec.rope_theta, L)}
        )
        for temp, fn in rp.TEMPERATURES.items():
            same = SAME_AS_METHOD.get((name, temp))
            if same is not None:
                nll = methods.results["scored"][same]
            else:
                chunks = evaluation_chunks(base, int(top * L), P, seed) if chunks is None else chunks
                m = extended_model(
                    base.state, base.spec, "longrope", top, attention_factor=fn(top, L), device=base.device, **kw
                )
                nll = np.asarray(ev.perplexity(m, chunks, L, all_tokens=False)["nll_last_chunks"])
            scored[(name, temp)] = nll
            trials += nll_rows(nll, "temperature_grid", grid_arm(name, temp), top, seed, int(top * L))
    comparisons = []
    for name in FACTOR_SETS:
        for temp, tid in (("YaRN's", "yarntemp"), ("LongRoPE's", "lrtemp")):
            comparisons.append(
                stats.paired_record(
                    scored[(name, "none")],
                    scored[(name, temp)],
                    f"grid_{name.lower()}_{tid}_vs_none",
                    "temperature_grid",
                    top,
                    grid_arm(name, "none"),
                    grid_arm(name, temp),
                    seed=seed,
                )
            )
    # LongRoPE − YaRN = (searched − YaRN factors, both at LongRoPE's temperature)
    #                 + (LongRoPE's − YaRN's temperature, YaRN factors)
    comparisons.append(
        stats.paired_record(
            scored[("YaRN", "LongRoPE's")],
            scored[("searched", "LongRoPE's")],
            "grid_factors_part",
            "temperature_grid",
            top,
            grid_arm("YaRN", "LongRoPE's"),
            grid_arm("searched", "LongRoPE's"),
            seed=seed,
        )
    )
    comparisons.append(
        stats.paired_record(
            scored[("YaRN", "YaRN's")],
            scored[("YaRN", "LongRoPE's")],
            "grid_temperature_part",
            "temperature_grid",
            top,
            grid_arm("YaRN", "YaRN's"),
            grid_arm("YaRN", "LongRoPE's"),
            seed=seed,
        )
    )
    table = pd.DataFrame(
        {temp: {name: float(np.exp(scored[(name, temp)].mean())) for name in FACTOR_SETS} for temp in rp.TEMPERATURES}
    )
    table.index.name, table.columns.name = "factors", "attention temperature"
    figures = {
        "temperature_table": table.reset_index().to_dict(orient="records"),
        "yarn_temperature_top": rp.yarn_attention_factor(top, L),
        "longrope_temperature_top": rp.longrope_attention_factor(top, L),
        **temperature_shares(scored),
        **{f"rel_{c['id']}": stats.relation(c) for c in comparisons},
    }
    return Section(table, figures, trials, comparisons, results={"scored": scored})


def temperature_shares(scored: dict) -> dict:
    """For YaRN and the searched factors: the NLL gained over PI without temperature, and the share of it that
    the method's own temperature brings (same factors, no temperature → the method's temperature)."""
    pi = scored[("PI", "none")].mean()
    out = {}
    for name, temp, key in (("YaRN", "YaRN's", "yarn"), ("searched", "LongRoPE's", "lr")):
        gain = pi - scored[(name, temp)].mean()
        from_temperature = scored[(name, "none")].mean() - scored[(name, temp)].mean()
        out[f"{key}_gain_over_pi"] = float(gain)
        out[f"{key}_temperature_share"] = float(from_temperature / gain) if gain > 0 else float("nan")
    return out


def search_heldout(base: BaseModel, P: Profile, searches: Section, grid: Section, *, seed: int) -> Section:
    """Each search seed's factors against the best of its starting points (by search fitness), both at
    LongRoPE's temperature, on the held-out windows of the top scale."""
    top, L = max(P.scales), base.L
    runs, chosen = searches.results["searches"], searches.results["chosen"][top]
    chunks, rows, comparisons, trials = None, [], [], []
    for sd in P.search.seeds:
        r = runs[(top, sd)]
        start = min(r.initial, key=r.initial.get)
        if sd == chosen:
            nll = grid.results["scored"][("searched", "LongRoPE's")]
        else:
            chunks = evaluation_chunks(base, int(top * L), P, seed) if chunks is None else chunks
            m = extended_model(
                base.state,
                base.spec,
                "longrope",
                top,
                long_factor=r.best.factors,
                n_hat=r.best.n_hat,
                device=base.device,
            )
            nll = np.asarray(ev.perplexity(m, chunks, L, all_tokens=False)["nll_last_chunks"])
        arm = f"search seed {sd}"
        trials += nll_rows(nll, "search_heldout", arm, top, sd, int(top * L))
        c = stats.paired_record(
            grid.results["scored"][(start, "LongRoPE's")],
            nll,
            f"search_gain_seed{sd}",
            "search_heldout",
            top,
            grid_arm(start, "LongRoPE's"),
            arm,
            seed=seed,
        )
        comparisons.append(c)
        rows.append(
            {
                "search seed": sd,
                "chosen on validation": "✓" if sd == chosen else "",
                "starting point": start,
                "search ppl": r.best_fitness,
                "starting point's search ppl": r.initial[start],
                "held-out ppl": float(np.exp(nll.mean())),
                "held-out NLL − starting point": c["diff"],
                "95% CI": tuple(c["ci95"]),
                "detectable": c["detectable"],
            }
        )
    table = pd.DataFrame(rows).set_index("search seed")
    held = table["held-out ppl"]
    chosen_cmp = comparisons[list(P.search.seeds).index(chosen)]
    chosen_start = str(table.loc[chosen, "starting point"])
    figures = {
        "search_gain_chosen": {"value": chosen_cmp["diff"], "ci95": chosen_cmp["ci95"], "n": chosen_cmp["n"]},
        "search_gain_chosen_detectable": chosen_cmp["detectable"],
        "search_seed_spread": float(held.max() / held.min() - 1),
        "search_gains_excluding_zero": int(sum(stats.excludes_zero(c) and c["diff"] < 0 for c in comparisons)),
        "search_losses_excluding_zero": int(sum(stats.excludes_zero(c) and c["diff"] > 0 for c in comparisons)),
        # the chosen search against its best starting point is the grid's factors part (searched against
        # YaRN's factors, both at LongRoPE's temperature) when that starting point is YaRN
        "search_gain_is_factors_part": chosen_start == "YaRN",
        "search_gain_what": (
            "the same comparison as the factors' part of the temperature grid, since the "
            "chosen search's best starting point is YaRN's factors"
            if chosen_start == "YaRN"
            else f"the chosen search's best starting point is {chosen_start}'s factors"
        ),
        "search_start_top": str(table["starting point"].iloc[0]),
    }
    return Section(table, figures, trials, comparisons)


def passkeys_top(base: BaseModel, P: Profile, searches: Section, *, seed: int) -> Section:
    """Pass keys at the top scale, with the training template and with an unseen one: the same prompts for
    every arm, exact-match share with Wilson intervals, LongRoPE against YaRN and PI by exact McNemar.
    ``results["training_template"]``: each arm's trials with the training template (label → list)."""
    top, L = max(P.scales), base.L
    n = int(top * L)
    exact, by_depth, trials, figures, comparisons, per_trial = {}, [], [], {}, [], {}
    for method in PASSKEY_METHODS:
        kw = chosen_kwargs(searches, top) if method == "longrope" else {}
        m = extended_model(base.state, base.spec, method, top, device=base.device, **kw)
        label = rp.LABELS[method]
        for template, experiment in ((TRAINING_TEMPLATE, "passkey_noft"), (HELD_OUT_TEMPLATE, "passkey_ood")):
            rows, t = ev.passkey_trials(m, base.data, n, PasskeyTask.of_profile(P, template), seed=seed)
            exact[(experiment, label)] = np.array([x["exact"] for x in t])
            if experiment == "passkey_noft":
                per_trial[label] = t
            by_depth += [{"template": template.name, "method": label, **r} for r in rows]
            trials += passkey_trial_rows(t, experiment, label, top, seed)
            figures[f"{method}_{experiment}_top"] = exact_share(t)
    for experiment, tag in (("passkey_noft", ""), ("passkey_ood", "_ood")):
        for other, key in (("yarn", "yarn"), ("linear", "pi")):
            a, b = rp.LABELS[other], LR
            c = stats.mcnemar(exact[(experiment, a)], exact[(experiment, b)])
            comparisons.append(
                {
                    "id": f"passkey{tag}_lr_vs_{key}",
                    "experiment": experiment,
                    "scale": top,
                    "metric": "exact",
                    "a": a,
                    "b": b,
                    **c,
                }
            )
    for c in comparisons:
        figures[c["id"].replace("passkey", "retrieves", 1)] = retrieval_relation(c)
    figures.update(
        {
            "lr_passkey_top": figures["longrope_passkey_noft_top"],
            "yarn_passkey_top": figures["yarn_passkey_noft_top"],
            "passkey_by_depth": by_depth,
            "passkey_units_top": len(exact[("passkey_noft", LR)]),
        }
    )
    frame = pd.DataFrame(by_depth)
    table = frame.pivot_table(index="method", columns=["template", "depth"], values="exact", sort=False)
    return Section(table, figures, trials, comparisons, results={"training_template": per_trial})


def retrieval_relation(c: dict, alpha: float = ALPHA) -> str:
    """How often arm b recovers the key against arm a, in words, by the exact McNemar test at ``alpha``."""
    if c["p"] < alpha:
        return "more often than" if c["diff"] > 0 else "less often than"
    return "not detectably more or less often than"


def retrieval_decomposition(base: BaseModel, P: Profile, searches: Section, keys: Section, *, seed: int) -> Section:
    """LongRoPE's pass keys taken apart as the grid takes apart its perplexity, on ``passkeys_top``'s prompts
    (training template), each step changing one thing (exact McNemar): the chosen search with n̂ forced to 0
    (``nhat_passkey_searched_vs_zero``: its n̂), the searched factors against YaRN's, both at LongRoPE's
    temperature and n̂ = 0 (``passkey_factors_part``), and YaRN's factors at LongRoPE's temperature against
    YaRN itself (``passkey_temperature_part``)."""
    top, L = max(P.scales), base.L
    n, dim = int(top * L), base.spec.hidden // base.spec.heads
    kw, given = chosen_kwargs(searches, top), keys.results["training_template"]
    lr_temperature = rp.TEMPERATURES["LongRoPE's"](top, L)

    def score(**arm):
        m = extended_model(
            base.state, base.spec, "longrope", top, attention_factor=lr_temperature, device=base.device, **arm
        )
        _, t = ev.passkey_trials(m, base.data, n, PasskeyTask.of_profile(P), seed=seed)
        return t

    zero_arm, yarn_lr_arm = f"{grid_arm('searched', LR_TEMP)}, n̂ = 0", grid_arm("YaRN", LR_TEMP)
    arms = {
        zero_arm: given[LR] if kw["n_hat"] == 0 else score(long_factor=kw["long_factor"], n_hat=0),
        yarn_lr_arm: score(long_factor=rp.FACTOR_FUNCTIONS["yarn"](top, dim, base.spec.rope_theta, L)),
    }
    trials = [row for arm, t in arms.items() for row in passkey_trial_rows(t, "passkey_noft", arm, top, seed)]
    steps = (
        ("nhat_passkey_searched_vs_zero", "nhat", zero_arm, arms[zero_arm], f"{LR}, n̂ = {kw['n_hat']}", given[LR]),
        ("passkey_factors_part", "passkey_noft", yarn_lr_arm, arms[yarn_lr_arm], zero_arm, arms[zero_arm]),
        (
            "passkey_temperature_part",
            "passkey_noft",
            rp.LABELS["yarn"],
            given[rp.LABELS["yarn"]],
            yarn_lr_arm,
            arms[yarn_lr_arm],
        ),
    )
    comparisons = [
        {
            "id": cid,
            "experiment": experiment,
            "scale": top,
            "metric": "exact",
            "a": a,
            "b": b,
            **stats.mcnemar([t["exact"] for t in ta], [t["exact"] for t in tb]),
        }
        for cid, experiment, a, ta, b, tb in steps
    ]
    figures = {
        "nhat_zero_passkey_top": exact_share(arms[zero_arm]),
        "passkey_yarn_lrtemp_top": exact_share(arms[yarn_lr_arm]),
        **{f"retrieves_{c['id']}": retrieval_relation(c) for c in comparisons},
    }
    table = pd.DataFrame(
        {
            "pass key exact": {
                rp.LABELS["yarn"]: exact_share(given[rp.LABELS["yarn"]])["value"],
                yarn_lr_arm: figures["passkey_yarn_lrtemp_top"]["value"],
                zero_arm: figures["nhat_zero_passkey_top"]["value"],
                f"{LR}, n̂ = {kw['n_hat']}": exact_share(given[LR])["value"],
            }
        }
    )
    return Section(table, figures, trials, comparisons)


def n_hat_ablation(base: BaseModel, P: Profile, searches: Section, methods: Section, *, seed: int) -> Section:
    """The chosen search's factors with its n̂ and with n̂ forced to 0, on the top scale's windows (its pass keys:
    ``retrieval_decomposition``)."""
    top, L = max(P.scales), base.L
    kw = chosen_kwargs(searches, top)
    with_n_hat = methods.results["scored"][LR]
    if kw["n_hat"] == 0:
        without = with_n_hat
    else:
        m = extended_model(base.state, base.spec, "longrope", top, device=base.device, **{**kw, "n_hat": 0})
        without = np.asarray(
            ev.perplexity(m, evaluation_chunks(base, int(top * L), P, seed), L, all_tokens=False)["nll_last_chunks"]
        )
    c = stats.paired_record(
        without, with_n_hat, "nhat_searched_vs_zero", "nhat", top, "n̂ = 0", f"n̂ = {kw['n_hat']}", seed=seed
    )
    trials = nll_rows(without, "nhat", "n̂ = 0", top, seed, int(top * L))
    table = pd.DataFrame(
        {"ppl last L": {c["a"]: float(np.exp(without.mean())), c["b"]: float(np.exp(with_n_hat.mean()))}}
    )
    return Section(table, {"nhat_value": int(kw["n_hat"])}, trials, [c])
