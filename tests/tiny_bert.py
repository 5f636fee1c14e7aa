"""A tiny BERT-style model built locally for the transformer backend's tests.

Random weights (fixed seed) and a character vocabulary made from real review
sentences: it checks the loading, batching, caching and fine-tuning code, and
says nothing about accuracy. torch/transformers are imported inside the
builder so this module imports without them.
"""

from __future__ import annotations

from pathlib import Path

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

REVIEW_SENTENCES = (
    "味道太淡了，包装也破了。",
    "送得很快，但是味道太淡了。",
    "太咸了，齁得要命，再也不买了。",
    "分量太少，一小包就这么几块，价格还贵。",
    "外卖送到的时候汤都洒了，包装太简陋。",
    "配送员态度很好，准时送达，点赞！",
    "客服一直不回复，退款申请了三天都没处理。",
    "吃出了头发，卫生太差，恶心。",
    "肉不新鲜，有股酸味，怀疑是隔夜的。",
    "性价比很高，下次还会回购。",
    "订单少送了一份米饭，打电话也没人接。",
    "辣得刚好，香脆可口，孩子很喜欢吃。",
    "收到的是假货，和专柜的完全不一样。",
    "油太多了，吃完嘴里全是油，腻。",
    "环境干净，服务员热情，上菜速度快。",
    "面条煮得太软了，一点嚼劲都没有。",
    "快递盒子压扁了，里面的饼干碎成渣。",
    "保质期只剩一个月，日期不新鲜。",
    "甜度适中，口感细腻，奶香味很浓。",
    "售后处理很及时，给我换了新的。",
)

# More characters common in reviews, so that test sentences rarely hit [UNK].
COMMON_CHARACTERS = (
    "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可"
    "她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三"
    "已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女"
    "问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由"
    "却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路"
    "期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八"
    "特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花"
    "快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程"
    "告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委"
    "早房音火际则首单米菜饭汤肉鱼鸡蛋面包盒袋箱店买卖退换赔贵便宜香甜酸辣咸淡苦油腻脆软硬鲜臭霉坏"
)


def vocabulary() -> list[str]:
    """Special tokens, then every distinct character of the sentences and the common set."""
    chars = dict.fromkeys(c for c in "".join(REVIEW_SENTENCES) + COMMON_CHARACTERS if not c.isspace())
    return list(SPECIAL_TOKENS) + list(chars)


def build_tiny_bert(path: str | Path, *, seed: int = 0, hidden: int = 32, layers: int = 2, heads: int = 2,
                    intermediate: int = 64) -> Path:
    """Save a random-weight BERT encoder and its tokenizer into directory ``path``.

    The directory is what a user downloads from the hub: config.json,
    model.safetensors, tokenizer files and vocab.txt.
    """
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()  # the test run's output stays readable

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = vocabulary()
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer.from_pretrained(str(folder), do_lower_case=False)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=intermediate,
                        max_position_embeddings=128)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config)
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder
