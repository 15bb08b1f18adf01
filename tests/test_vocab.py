import pytest
import torch

from coursekit.vocab import PAD_ID, UNK_ID, Vocab, clean_str, pad_sequences, tokenize


def test_clean_str_follows_kims_rules():
    assert clean_str("It isn't GREAT, is it?") == "it is n't great , is it ?"
    assert clean_str("the rock's new \" conan \"") == "the rock 's new conan"
    assert clean_str("we've, they're, he'd, you'll") == "we 've , they 're , he 'd , you 'll"
    assert clean_str("(sort of)!") == "( sort of ) !"


def test_tokenize_latin1_text_and_empty_lines():
    # MR is latin-1: "café" decodes to an accented letter, which Kim's rules turn into a space
    text = b"caf\xe9 society -- a wonderful film".decode("latin-1")
    assert tokenize(text) == ["caf", "society", "a", "wonderful", "film"]
    assert tokenize("") == []
    assert tokenize("  \t ... -- ") == []


def test_tokenize_rejects_non_str():
    with pytest.raises(TypeError, match="text must be a str, got bytes"):
        tokenize(b"bytes")


def test_build_orders_by_count_then_alphabet_and_reserves_pad_unk():
    v = Vocab.build(["b a c", "a b", "a"])
    assert v.itos == ["<pad>", "<unk>", "a", "b", "c"]
    assert v.stoi["<pad>"] == PAD_ID == 0 and v.stoi["<unk>"] == UNK_ID == 1
    assert len(v) == 5 and "a" in v and "z" not in v
    assert v.counts["a"] == 3


def test_min_freq_and_max_size():
    texts = ["a a a b b c", "d"]
    assert Vocab.build(texts, min_freq=2).itos[2:] == ["a", "b"]
    assert Vocab.build(texts, max_size=1).itos[2:] == ["a"]


def test_encode_maps_unknown_words_to_unk_and_decode_inverts():
    v = Vocab.build(["a good film", "a bad film"])
    ids = v.encode("A great film!")
    assert ids == [v.stoi["a"], UNK_ID, v.stoi["film"], UNK_ID]  # "great" and "!" are unseen
    assert v.decode(ids) == ["a", "<unk>", "film", "<unk>"]
    assert v.decode(torch.tensor(ids)) == v.decode(ids)
    assert v.encode("") == []


def _pad_bruteforce(seqs, min_len, pad_id=0):
    length = max([min_len] + [len(s) for s in seqs])
    return [list(s) + [pad_id] * (length - len(s)) for s in seqs]


def test_pad_sequences_matches_a_loop():
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(2, 30, (int(n),), generator=g).tolist() for n in torch.randint(0, 9, (12,), generator=g)]
    for min_len in (1, 5, 12):
        assert pad_sequences(seqs, min_len=min_len).tolist() == _pad_bruteforce(seqs, min_len)


def test_pad_sequences_empty_line_becomes_padding_and_max_len_cuts():
    out = pad_sequences([[], [4, 5, 6]], min_len=2)
    assert out.dtype == torch.long and out.tolist() == [[0, 0, 0], [4, 5, 6]]
    assert pad_sequences([[4, 5, 6, 7]], max_len=2).tolist() == [[4, 5]]


def test_encode_batch_pads_to_the_widest_filter():
    v = Vocab.build(["a b c d e f"])
    out = v.encode_batch(["a b", "c d e f", ""], min_len=5)
    assert out.shape == (3, 5)
    assert out[2].tolist() == [0] * 5
    assert v.decode(out[0]) == ["a", "b", "<pad>", "<pad>", "<pad>"]


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: Vocab.build([]), ValueError, "texts is empty"),
        (lambda: Vocab.build(["", " ... "]), ValueError, "no tokens"),
        (lambda: Vocab.build("a single sentence"), TypeError, "got a single str"),
        (lambda: Vocab.build(["ok", 3]), TypeError, r"texts\[1\] must be a str, got int"),
        (lambda: Vocab.build(["a"], min_freq=0), ValueError, "min_freq must be an int >= 1, got 0"),
        (lambda: Vocab.build(["a"], max_size=0), ValueError, "max_size must be None or an int >= 1"),
        (lambda: Vocab(["a", "<pad>"]), ValueError, r"itos must start with \['<pad>', '<unk>'\]"),
        (lambda: Vocab(["<pad>", "<unk>", "a", "a"]), ValueError, "duplicates \\['a'\\]"),
        (lambda: Vocab.build(["a b"]).decode([7]), ValueError, r"ids must be ints in \[0, 4\), got 7"),
        (lambda: Vocab.build(["a b"]).encode_batch("a b"), TypeError, "got a single str"),
        (lambda: pad_sequences([]), ValueError, "seqs is empty"),
        (lambda: pad_sequences([[1, -2]]), ValueError, r"seqs\[0\] must hold non-negative int ids"),
        (lambda: pad_sequences(["ab"]), TypeError, r"seqs\[0\] must be a list of ints, got str"),
        (lambda: pad_sequences([[1]], min_len=0), ValueError, "min_len must be an int >= 1, got 0"),
        (lambda: pad_sequences([[1]], min_len=3, max_len=2), ValueError, "max_len must be None or an int >= min_len=3"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
