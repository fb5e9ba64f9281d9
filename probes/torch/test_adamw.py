"""adamw.py: each policy's optimizer, and the mixed policies' masters and gradients."""

import unittest

import torch

import adamw


class Policies(unittest.TestCase):

    def test_weights_are_float32_only_under_fp32(self):
        self.assertEqual(torch.float32, adamw.weight_dtype(torch, "fp32"))
        for policy in ("bf16", "bf16-mixed", "bf16-mixed-fp32-grads"):
            self.assertEqual(torch.bfloat16, adamw.weight_dtype(torch, policy))

    def test_plain_policies_run_torch_adamw(self):
        weight = torch.nn.Parameter(torch.ones(3))
        for policy in ("fp32", "bf16"):
            self.assertIsInstance(adamw.for_policy(torch, policy, [weight]), torch.optim.AdamW)
        self.assertIsInstance(adamw.for_policy(torch, "bf16-mixed", [weight]), adamw.MixedAdamW)


class MixedAdamW(unittest.TestCase):

    def step(self, fp32_gradients):
        torch.manual_seed(0)
        weight = torch.nn.Parameter(torch.randn(8).to(torch.bfloat16))
        optimizer = adamw.MixedAdamW(torch, [weight], fp32_gradients)
        (weight.float() * torch.arange(8.0)).sum().backward()
        optimizer.step()
        return weight, optimizer

    def test_the_master_is_float32_and_the_weight_its_rounding(self):
        weight, optimizer = self.step(False)
        master = optimizer.masters[0]
        self.assertEqual(torch.float32, master.dtype)
        self.assertTrue(torch.equal(master.to(torch.bfloat16), weight.detach()))
        self.assertEqual({torch.float32}, {t.dtype for t in optimizer.state[master].values() if t.dim() > 0})

    def test_bf16_mixed_keeps_the_bfloat16_gradient_only(self):
        weight, optimizer = self.step(False)
        self.assertIsNone(optimizer.masters[0].grad)
        self.assertEqual([torch.bfloat16], [g.dtype for g in optimizer.gradients()])

    def test_fp32_gradients_move_into_float32_buffers(self):
        weight, optimizer = self.step(True)
        self.assertIsNone(weight.grad)
        self.assertEqual([torch.float32], [g.dtype for g in optimizer.gradients()])
        self.assertTrue(torch.equal(torch.arange(8.0), optimizer.gradients()[0]))


if __name__ == "__main__":
    unittest.main()
