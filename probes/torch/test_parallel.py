"""parallel.py: the traffic each wrapped collective counts, DDP's buckets on a one-rank gloo group, and the
state a rank holds after a step."""

import os
import tempfile
import types
import unittest

import torch
import torch.distributed as dist

import adamw
import parallel


def fake_dist(rank):
    """A torch.distributed stand-in that records the calls it passes on."""
    calls = []
    module = types.SimpleNamespace(get_rank=lambda: rank)
    for name in ("broadcast", "all_gather_into_tensor", "reduce_scatter_tensor"):
        setattr(module, name, lambda *arguments, _name=name, **keywords: calls.append(_name))
    return module, calls


class Traffic(unittest.TestCase):

    def test_a_rank_counts_only_what_it_broadcasts(self):
        fake, calls = fake_dist(rank=1)
        traffic = parallel.Traffic(fake, parallel.DDP_COLLECTIVES)
        traffic.count("broadcast", "parameter_broadcast",
                      lambda tensor, src, *rest, **keywords: tensor if src == fake.get_rank() else None)
        fake.broadcast(torch.zeros(10), 0)
        fake.broadcast(torch.zeros(3, dtype=torch.bfloat16), src=1)
        fake.broadcast(tensor=torch.zeros(5), src=1, async_op=True)
        self.assertEqual({"gradient_all_reduce": 0, "parameter_broadcast": 6 + 20}, traffic.counted())
        self.assertEqual(["broadcast"] * 3, calls, "every call reaches torch.distributed")

    def test_fsdp_hands_over_its_shard(self):
        fake, calls = fake_dist(rank=0)
        traffic = parallel.Traffic(fake, parallel.FSDP_COLLECTIVES)
        parallel.count_fsdp_traffic(traffic)
        fake.all_gather_into_tensor(torch.zeros(8), torch.zeros(4))
        fake.reduce_scatter_tensor(torch.zeros(2), torch.zeros(4))
        self.assertEqual({"parameter_all_gather": 16, "gradient_reduce_scatter": 8}, traffic.counted())
        self.assertEqual(["all_gather_into_tensor", "reduce_scatter_tensor"], calls)
        self.assertFalse(hasattr(fake, "_all_gather_base"), "a function this PyTorch lacks is not invented")

    def test_reset_and_restore(self):
        fake, _ = fake_dist(rank=0)
        original = fake.broadcast
        traffic = parallel.Traffic(fake, parallel.DDP_COLLECTIVES)
        traffic.count("broadcast", "parameter_broadcast", lambda tensor, src: tensor)
        self.assertIsNot(original, fake.broadcast)
        fake.broadcast(torch.zeros(1), 0)
        traffic.reset()
        self.assertEqual(0, traffic.counted()["parameter_broadcast"])
        traffic.restore()
        self.assertIs(original, fake.broadcast)


class OneRankGroup(unittest.TestCase):
    """DDP on a gloo group of one: its comm hook sees every gradient once per step."""

    def setUp(self):
        dist.init_process_group("gloo", init_method="file://" + os.path.join(tempfile.mkdtemp(), "store"), rank=0,
                                world_size=1)

    def tearDown(self):
        dist.destroy_process_group()

    def test_ddp_counts_every_gradient_byte(self):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Linear(5, 3, bias=False))
        trained, traffic = parallel.wrap(dist, model, "none", 2, torch.device("cpu"))
        optimizer = adamw.for_policy(torch, "fp32", trained.parameters())
        trained(torch.ones(4, 6)).sum().backward()
        optimizer.step()
        self.assertEqual((6 * 5 + 5 + 5 * 3) * 4, traffic.counted()["gradient_all_reduce"])
        state = parallel.state_of(model, optimizer, "none", 0, traffic.counted())
        self.assertEqual(200, state["parameters_bytes"])
        self.assertEqual(200, state["gradients_bytes"])
        self.assertEqual(400, state["optimizer_state_bytes"])
        self.assertEqual(0, state["master_weights_bytes"])


class State(unittest.TestCase):

    def test_one_process_holds_the_model_as_it_is(self):
        model = torch.nn.Linear(4, 2, bias=False)
        trained, traffic = parallel.wrap(dist, model, "none", 1, torch.device("cpu"))
        self.assertIs(model, trained)
        self.assertEqual({}, traffic.counted())

    def test_mixed_precision_keeps_masters_and_its_gradients(self):
        model = torch.nn.Linear(4, 2, bias=False).to(torch.bfloat16)
        for policy, gradient_bytes in (("bf16-mixed", 16), ("bf16-mixed-fp32-grads", 32)):
            optimizer = adamw.for_policy(torch, policy, model.parameters())
            model(torch.ones(3, 4, dtype=torch.bfloat16)).sum().backward()
            optimizer.step()
            state = parallel.state_of(model, optimizer, "none", 0, {})
            self.assertEqual((16, gradient_bytes, 32, 64),
                             (state["parameters_bytes"], state["gradients_bytes"], state["master_weights_bytes"],
                              state["optimizer_state_bytes"]), policy)
            optimizer.zero_grad()


if __name__ == "__main__":
    unittest.main()
