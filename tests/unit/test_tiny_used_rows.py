"""`UsedRows`: training only the used rows of the tied embedding, a shared shift for the others, a sampled softmax."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
import torch.nn.functional as F

from tarsier_eval.models import tiny_train
from tarsier_eval.models.tiny_train import UsedRows

VOCAB, HIDDEN, PAD = 40, 8, 39


class _Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embed = torch.nn.Embedding(VOCAB, HIDDEN)

    def get_input_embeddings(self) -> torch.nn.Embedding:
        return self.embed


def _examples(*id_lists: list[int]) -> list:
    return [SimpleNamespace(item=SimpleNamespace(payload={"input_ids": torch.tensor(ids)})) for ids in id_lists]


def _trained(sampled_rows: int, monkeypatch) -> tuple[_Model, UsedRows, torch.Tensor]:
    monkeypatch.setattr(tiny_train, "SAMPLED_ROWS", sampled_rows)
    model = _Model()
    initial = model.embed.weight.detach().clone()
    rows = UsedRows(model, _examples([3, 5, 7], [5, 11]), PAD)
    with torch.no_grad():
        rows.table.add_(torch.randn_like(rows.table))
        rows.shift.add_(torch.randn_like(rows.shift))
    return model, rows, initial


def test_only_used_rows_and_the_shift_train(monkeypatch):
    model, rows, initial = _trained(8, monkeypatch)
    assert rows.ids.tolist() == [3, 5, 7, 11, PAD]
    assert not model.embed.weight.requires_grad
    looked_up = model.embed(torch.tensor([[5, PAD]]))
    assert torch.equal(looked_up[0, 0], rows.table[1]) and torch.equal(looked_up[0, 1], rows.table[4])
    with pytest.raises(IndexError):
        model.embed(torch.tensor([4]))  # an id no training input has: loud, not a silent row

    rows.copy_to_embedding()
    rows.restore()
    weight = model.embed.weight.detach()
    assert torch.equal(weight[rows.ids], rows.table.detach())
    unused = [i for i in range(VOCAB) if i not in rows.ids.tolist()]
    assert torch.allclose(weight[unused], initial[unused] + rows.shift.detach())
    assert model.embed.weight.requires_grad and torch.equal(model.embed(torch.tensor([4]))[0], weight[4])


def test_the_loss_is_the_full_softmax_when_every_other_row_is_sampled(monkeypatch):
    model, rows, _ = _trained(VOCAB, monkeypatch)
    assert len(rows.others) == VOCAB - len(rows.ids) and rows.stands_for == 0.0
    states, targets = torch.randn(6, HIDDEN), torch.tensor([3, 5, 7, 11, 3, 5])
    rows.copy_to_embedding()
    full = F.cross_entropy(states @ model.embed.weight.T, targets)
    assert torch.allclose(rows.loss(states, targets), full, atol=1e-6)


def test_a_sample_stands_for_the_rows_it_leaves_out(monkeypatch):
    _, rows, _ = _trained(7, monkeypatch)
    unused = VOCAB - len(rows.ids)
    assert len(rows.others) == 7 and len(set(rows.others.tolist()) & set(rows.ids.tolist())) == 0
    assert rows.stands_for == pytest.approx(math.log(unused / 7))
    states, targets = torch.zeros(2, HIDDEN), torch.tensor([3, 7])  # all logits 0: the loss is log(normaliser)
    assert rows.loss(states, targets).item() == pytest.approx(math.log(len(rows.ids) + unused))
