"""The claims registry: every checkable claim of the five source articles, in the project's own words.

Each ``Claim`` holds where it was made (article and line), a short quotation of the sentence
under test (attributed: the article is named in ``ARTICLES``), our English gloss, its category,
its evidence (keys into ``results/*.json``: ``"<chapter>.<figure>"`` for a figure,
``"<chapter>.<comparison id>"`` for a comparison) and the rule that turns that evidence into a
verdict (``claims.rules``). No verdict is typed. Opinions are recorded, not judged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import rules as R

VERDICTS = ("supported", "supported with caveat", "misleading", "wrong", "unverifiable here", "opinion")
CATEGORIES = ("complexity", "units", "architecture", "BERT", "LongRoPE", "vendor figure", "opinion")
#: the five source articles (Chinese web articles on context length), by the number the book cites them by
SEED_FILES = {
    "000": "000_e02f09121f78159e.txt",
    "001": "001_316fc0e59bb7c1ec.txt",
    "002": "002_b5e9c37065cbc79f.txt",
    "003": "003_8c3da69ce69deedd.txt",
    "004": "004_8e55ce3ff0d5ab2b.txt",
}
ARTICLES = {
    "000": "lesson on context length (with reader comments)",
    "001": "LLM上下文长度再升级",
    "002": "超长上下文：LLM的记忆革命",
    "003": "上下文长度越卷越离谱,我们真需要这么多token么?",
    "004": "Extending context length in LLMs (Chinese translation)",
}


@dataclass(frozen=True)
class Claim:
    id: str
    seed: str                 # article "000" … "004"
    line: int                 # 1-based line of the article's text
    quote: str                # the original words (a short quotation of that line)
    gloss: str                # our English rendering
    category: str
    claimed: str              # what the claim asserts, as a figure where it has one
    section: str              # MyST label of the section that holds the evidence
    evidence: tuple[str, ...] = ()
    rule: Callable | None = None  # (figures) → (verdict, measured)
    rule_text: str = ""


def C(id, seed, line, quote, gloss, category, claimed, section, evidence=(), rule=None, rule_text=""):
    return Claim(id, seed, line, quote, gloss, category, claimed, section, tuple(evidence), rule, rule_text)


CLAIMS: tuple[Claim, ...] = (
    # complexity ---------------------------------------------------------------------------------
    C("C000-6", "000", 17, "标准自注意力机制的计算复杂度为 O(n^2 * d)",
      "self-attention costs O(n²·d): 2× the context is 4× the compute, 10× is 100×", "complexity",
      "4× and 100×; 1000²·512 = 5.12e8", "complexity-flops",
      ["complexity.seed000_ratio_2x", "complexity.seed000_ratio_10x", "complexity.timing_slope_sdpa"], R.seed000_quadratic,
      "supported if the ratios recompute exactly and the measured exponent is within 0.3 of 2"),
    C("C000-7", "000", 43, "计算量的增加与上下文长度的平方成正比",
      "total compute grows with the square of the context length", "complexity",
      "whole-model cost ∝ n²", "complexity-whole-model",
      ["complexity.llama7_share_4096", "complexity.llama7_crossover"], R.whole_model_square,
      "misleading if the quadratic term is under half of a real model's FLOPs at 4,096 tokens"),
    C("C004-3", "004", 33, "一个 4096 标记的模型将需要 64 倍的",
      "without optimisation compute grows quadratically: a 4,096-token model needs 64× …", "complexity",
      "64× (4096 vs 512)", "complexity-whole-model",
      ["complexity.seed004_ratio_scores", "complexity.llama7_ratio_4096_512"], R.seed004_64x,
      "misleading if a whole model's ratio is under half the claimed 64×"),
    C("C001-4", "001", 138, r"1024 \times 512 \times (1024 + 512) \approx 5.1 \times 10^{11}",
      "C = L·d·(L+d): 1024·512·1536 ≈ 5.1e11, and raising C from 100 to 1000 adds 2.0e11", "complexity",
      "≈ 5.1e11 and + 2.0e11", "complexity-seed-arithmetic",
      ["complexity.seed001_base_recomputed"], R.seed001_arithmetic,
      "wrong if the recomputed product differs from the claimed one by more than 5%"),
    C("C001-5", "001", 78, "当上下文长度增加时，这些向量将变得更长",
      "as the context grows, the query, key and value vectors get longer", "complexity",
      "Q/K/V vectors lengthen", "complexity-qkv",
      ["complexity.qkv_head_dim_constant"], R.qkv_longer,
      "wrong if the per-token vector dimension is the same at every length"),
    C("C000-9", "000", 39, "随着序列长度的增加，所需的内存也会急剧增加",
      "memory needs rise steeply with the sequence length", "complexity",
      "memory grows steeply", "complexity-memory",
      ["complexity.mem_naive_slope", "complexity.mem_sdpa_largest_mib", "complexity.mem_naive_largest_mib",
       "complexity.llama7_kv_kib_per_token"], R.memory,
      "supported with caveat if naive memory is quadratic but a fused kernel's is flat"),
    C("C003-10", "003", 16, "如果上下文視窗过大,与之对应的内存消耗也就会增加",
      "a larger window means more memory", "complexity",
      "memory grows with the window", "complexity-memory",
      ["complexity.mem_naive_slope", "complexity.mem_sdpa_largest_mib", "complexity.mem_naive_largest_mib",
       "complexity.llama7_kv_kib_per_token"], R.memory,
      "as C000-9"),
    C("C001-3", "001", 36, "上下文长度增加时，模型参数量也会相应增加",
      "when the context length grows, the parameter count grows too", "complexity",
      "parameters grow with context", "complexity-params",
      ["complexity.llama_param_growth", "complexity.bert_growth_4096"], R.params_grow,
      "wrong if a RoPE model adds no parameters and a learned table adds under 5%"),
    # units ----------------------------------------------------------------------------------------
    C("C001-1", "001", 11, "上下文长度是指模型能够正确理解和处理输入文本的最大字符数",
      "context length is the maximum number of characters the model can process", "units",
      "unit = characters", "tokens-passages",
      ["tokens.en_chars_per_token_min", "tokens.en_chars_per_token_max", "tokens.zh_chars_per_token_min",
       "tokens.zh_chars_per_token_max"], R.chars_unit,
      "wrong if characters per token differ from 1 by more than 5% for some tokenizer"),
    C("C003-7", "003", 12, "20 万 token 的上下文視窗长度,它可以一次性处理大约 35 万个汉字",
      "a 200k-token window holds about 350k Chinese characters (2M tokens ≈ 3.5M)", "units",
      "1.75 汉字 per token", "tokens-han",
      ["tokens.han_per_token_by_tokenizer"], R.han_per_token,
      "wrong if no tokenizer is within 15% of 1.75 汉字 per token"),
    C("C002-1", "002", 25, "传统Transformer模型的上下文窗口通常为512或1024个单词",
      "traditional Transformer windows are 512 or 1,024 words", "units",
      "512 / 1,024 words", "tokens-words",
      ["tokens.gpt2_words_in_1024"], R.words,
      "wrong if 1,024 tokens hold a word count more than 5% away from 1,024"),
    # vendor figures ---------------------------------------------------------------------------------
    C("C000-1", "000", 5, "支持200万字长文本输入",
      "Kimi accepts 2,000,000 characters of input", "vendor figure",
      "2M characters", "tokens-vendors",
      ["tokens.kimi_tokens_low", "tokens.kimi_tokens_high"], R.vendor("tokens.kimi_tokens_low", "tokens.kimi_tokens_high"),
      "a product figure: converted to tokens, not testable without the product"),
    C("C000-4", "000", 7, "已经将上下文长度直接提升至1000万字，是Kimi的5倍",
      "Qwen raised its context to 10,000,000 characters, 5× Kimi", "vendor figure",
      "10M characters = 5× Kimi", "tokens-vendors",
      ["tokens.qwen_over_kimi"], R.qwen_5x,
      "the ratio is checked; the window itself cannot be"),
    C("C000-2", "000", 5, "GPT-4-turbo，支持128K上下文长度",
      "GPT-4-turbo supports a 128K context", "vendor figure",
      "128K tokens", "critique-ruler",
      ["critique.ruler_gpt4"], R.vendor(ruler="critique.ruler_gpt4"),
      "a vendor specification; RULER measured it"),
    C("C000-3", "000", 5, "最新版本已经支持32K上下文长度",
      "(Chat)GLM-6B's latest version supports 32K", "vendor figure",
      "32K tokens", "critique-ruler",
      ["critique.ruler_chatglm"], R.vendor(ruler="critique.ruler_chatglm"),
      "a vendor specification; RULER measured a ChatGLM-6B variant"),
    C("C003-1", "003", 2, "谷歌 Gemini 1.5 Pro 的上下文长度达到了 100 万个 token",
      "Gemini 1.5 Pro's context reaches 1M tokens", "vendor figure",
      "1M tokens", "critique-ruler",
      ["critique.ruler_gemini"], R.vendor(ruler="critique.ruler_gemini"),
      "a vendor specification; RULER tested up to 128K"),
    # architecture ------------------------------------------------------------------------------------
    C("C002-3", "002", 90, r"\text{Context Window Size} = \text{Layer Depth} \times \text{Hidden Units}",
      "context window size = layer depth × hidden units", "architecture",
      "window = depth × width", "longrope2-depth-width",
      ["longrope2.bert_depth_times_width", "longrope2.dw_base_window_over_predicted", "longrope2.dw_window_growth",
       "longrope2.dw_predicted_growth"],
      R.depth_width, "wrong if a model's window is under half its depth × width, or windows grow under half as fast as it"),
    C("C002-4", "002", 66, "通过增加模型的层数或隐藏层单位数，扩展模型的上下文窗口",
      "widen or deepen the model to extend its context window", "architecture",
      "more layers/units ⇒ longer window", "longrope2-depth-width",
      ["longrope2.bert_depth_times_width", "longrope2.dw_base_window_over_predicted", "longrope2.dw_window_growth",
       "longrope2.dw_predicted_growth"],
      R.depth_width, "as C002-3"),
    C("C002-2", "002", 32, "由于模型可以覆盖更长的文本，因此梯度消失和爆炸问题得到了缓解",
      "covering longer text relieves vanishing and exploding gradients", "architecture",
      "longer context ⇒ healthier gradients", "critique-gradients",
      ["critique.grad_ratio_spread"], R.gradients,
      "wrong if the first/last-layer gradient-norm ratio moves less than 2× across context lengths"),
    C("C002-5", "002", 124, "self.transformer = nn.Transformer(embedding_dim, hidden_dim, num_layers, dropout)",
      "the article's Transformer code (sections 5.2–5.4)", "architecture",
      "working example code", "critique-seed-code",
      ["critique.seed002_errors"], R.seed002_code, "wrong if running it fails"),
    C("C001-2", "001", 15, "上下文长度越长，模型的理解能力就越强",
      "the longer the context, the stronger the model's understanding", "architecture",
      "monotone gains", "bert-classification",
      ["bert.classification", "bert.cls_acc_shortest", "bert.cls_acc_512", "bert.needle_slide128_mean",
       "bert.needle_slide_mean"], R.monotone,
      "misleading if a longer truncation gains no more than two standard errors, or shorter windows retrieve better"),
    C("C003-9", "003", 14, "过分追求上下文視窗还会导致一个问题,叫做 \" 过拟合(overfitting)\"",
      "chasing long windows causes overfitting", "architecture",
      "longer window ⇒ overfitting", "longrope2-overfit",
      ["longrope2.overfit_gap_growth"], R.overfit,
      "wrong if the held-out/train gap grows by less than 0.1 nats from the shortest to the longest window"),
    C("C003-12", "003", 17, "因为大语言模型没有特别明确的性能评分标准",
      "window sizes are marketing because there is no clear performance metric", "architecture",
      "no metric exists", "longrope2-effective",
      ["longrope2.effective_short_of_claimed", "longrope2.effective_rows"], R.marketing,
      "supported with caveat if configured windows overstate measured ones (metrics exist)"),
    # BERT -------------------------------------------------------------------------------------------
    C("C001-6", "001", 193, "inputs['attention_mask'] = inputs['attention_mask'] * (1 <| input_ids)",
      "the BERT snippet of section 5.2", "BERT",
      "working example code", "bert-seed-code",
      ["bert.seed001_syntax_error"], R.seed001_snippet, "wrong if it does not compile"),
    C("C001-7", "001", 254, "通过增加上下文长度，BERT模型在NER数据集上的F1分数有明显的提升",
      "a CoNLL-2003 NER report shows that increasing the context raised F1", "BERT",
      "F1 improved with context", "bert-classification",
      ["bert.cls_acc_shortest", "bert.cls_acc_512"], R.ner_proof,
      "misleading if a controlled experiment shows a gain the report could not have shown; wrong if none"),
    # LongRoPE --------------------------------------------------------------------------------------
    C("C004-2", "004", 23, "训练数据的长度对可用的上下文长度设置了限制",
      "the training length limits the usable context", "LongRoPE",
      "usable context ≤ training length", "longrope-plain",
      ["longrope.plain_last_ratio", "longrope.top_scale"], R.plain_rope,
      "supported if plain RoPE's last-window perplexity rises more than 1.5× past L"),
    C("C003-3", "003", 6, "使得在无需微调的情况下能实现上下文視窗 8 倍的扩展",
      "two non-uniformities found by search give an 8× extension without fine-tuning", "LongRoPE",
      "8× without fine-tuning", "longrope-methods",
      ["longrope.lr_vs_base_L", "longrope.ppl_lr_vs_pi", "longrope.ppl_lr_vs_yarn", "longrope.lr_passkey_top",
       "longrope.top_scale"], R.eight_x,
      "supported if LongRoPE at 8× L stays within 10% of the model at L and beats PI; with caveat if it only beats PI"),
    C("C003-2", "003", 4, "能够在保持原始短上下文視窗性能的同时,将预训练 LLMs 的上下文視窗扩展到令人印象深刻的 200 万个 token",
      "extends the window to 2M tokens while keeping short-context performance", "LongRoPE",
      "short context kept", "longrope2-readjust",
      ["longrope2.short_readjusted_vs_base"], R.short_kept,
      "supported if perplexity at L after extension is within 5% of the base model's"),
    C("C003-4", "003", 6, "然后在已微调的扩展大语言模型上进行第二次位置插值",
      "progressive: fine-tune at 256k, then interpolate again to 2048k", "LongRoPE",
      "progressive beats one-shot", "longrope2-progressive",
      ["longrope2.progressive_vs_oneshot", "longrope2.prog_top_scale"], R.progressive,
      "supported if progressive extension's perplexity is 5% below one-shot search's at the top scale"),
    C("C003-5", "003", 6, "LongRoPE 会在 8000 长度上重新调整参数",
      "readjusting at 8k recovers short-context performance", "LongRoPE",
      "readjustment recovers short context", "longrope2-readjust",
      ["longrope2.short_vs_long_at_L"], R.readjust,
      "supported if re-searched short factors lower perplexity at L by 2% or more"),
    C("C003-6", "003", 8, "不需要额外训练,不需要多配备硬體,仅仅使用 1000 步微调以内",
      "no extra training … within 1,000 fine-tuning steps (yet 'essentially fine-tuning', line 6)", "LongRoPE",
      "no extra training", "longrope2-finetune",
      ["longrope2.ft_gain_longrope", "longrope2.ft_steps"], R.no_training,
      "misleading if a short fine-tune improves perplexity at 4× L by more than 10%"),
    C("C003-11", "003", 15, "LongRoPe 还未正式启用",
      "LongRoPE is not in use yet", "LongRoPE",
      "not in use", "longrope-in-use",
      ["longrope.transformers_has_longrope"], R.in_use, "wrong if transformers ships rope_type 'longrope'"),
    C("C004-4", "004", 5, "如何将你的 Llama 变成 Giraffe",
      "linear position scaling turns a Llama into a long-context 'Giraffe'", "LongRoPE",
      "linear scaling extends context", "longrope2-finetune",
      ["longrope.pi_ppl_top", "longrope.top_scale", "longrope2.pi_ft_vs_base"], R.linear,
      "supported with caveat if PI works after fine-tuning (within 20% of the base at L)"),
    # opinions ---------------------------------------------------------------------------------------
    C("C000-5", "000", 13, "Lossless long context is everything",
      "lossless long context is everything (a founder's view)", "opinion", "—", "critique-opinions"),
    C("C002-6", "002", 15, "自注意力机制（Self-Attention Mechanism）极大地提高了模型的记忆能力",
      "self-attention greatly improved models' memory", "opinion", "—", "critique-opinions"),
    C("C001-8", "001", 86, "在增加上下文长度的同时，优化模型参数量",
      "optimise the parameter count while lengthening the context (generic advice)", "opinion", "—",
      "critique-opinions"),
    C("C001-9", "001", 260, "增加上下文长度可以提高模型对长文本的理解能力，使其能够更好地处理客户咨询",
      "longer context makes customer-service bots better (generic application claim)", "opinion", "—",
      "critique-opinions"),
    C("C001-10", "001", 274, "上下文长度和模型参数量也将不断增加",
      "context length and parameter counts will keep growing (a forecast)", "opinion", "—", "critique-opinions"),
)

BY_ID = {c.id: c for c in CLAIMS}
