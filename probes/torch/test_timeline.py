"""timeline.py's arithmetic on made-up events: a phase's most from the allocator's running total between its
mark and the next (the profiler on a CPU), and from memory_allocated and the peak since the mark (CUDA)."""

import types
import unittest

import timeline


def node(name, start, children=(), total=None, size=0):
    fields = types.SimpleNamespace() if total is None else types.SimpleNamespace(
        total_allocated=total, alloc_size=size, device=types.SimpleNamespace(type="cpu"))
    return types.SimpleNamespace(name=name, start_time_ns=start, children=list(children), extra_fields=fields)


class PhasesFromTheProfiler(unittest.TestCase):

    def test_a_phase_holds_the_most_its_events_reach(self):
        mark = timeline.MARK
        tree = [node("aten::empty", 1, [node("[memory]", 2, total=100, size=100)]),
                node(mark + "a", 3),
                node("aten::mm", 4, [node("[memory]", 5, total=400, size=300),
                                     node("[memory]", 6, total=250, size=-150)]),
                node(mark + "b", 7),
                node("[memory]", 8, total=150, size=-100),
                node(mark + "end", 9)]
        # a: starts at 100, reaches 400; b: starts at 250, falls to 150
        self.assertEqual([("a", 400, None), ("b", 250, None)], timeline.phases_from(tree, ["a", "b", "end"]))
        # a second profiler session whose allocator total starts 1,000 high (an earlier batch, freed unprofiled)
        later = [node("[memory]", 2, total=1100, size=100), node(mark + "a", 3),
                 node("[memory]", 5, total=1400, size=300), node(mark + "end", 9)]
        self.assertEqual([("a", 400, None)], timeline.phases_from(later, ["a", "end"]))

    def test_marks_the_profiler_did_not_see_are_an_error(self):
        with self.assertRaises(RuntimeError):
            timeline.phases_from([node(timeline.MARK + "a", 1)], ["a", "end"])


class PhasesOnCuda(unittest.TestCase):

    def test_a_phase_holds_what_it_starts_with_or_its_peak(self):
        # (name, allocated at the mark, peak since the previous mark, reserved, peak reserved since it)
        rows = [("a", 10, 5, 20, 20), ("b", 30, 50, 40, 60), ("end", 5, 35, 40, 40)]
        reduced = timeline.cuda_phases(rows)
        self.assertEqual([("a", 50, 60), ("b", 35, 40)], reduced)


if __name__ == "__main__":
    unittest.main()
