package flopcast.measure.model;

import flopcast.measure.counting.CountingOps;
import flopcast.measure.counting.FlopCounter;
import flopcast.measure.counting.OpClass;
import flopcast.measure.counting.OpProfile;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The B*h (sequence, head) pairs of attention split across the backend's threads: each part runs
 * on its own ops, counting into its own counter in the pass of the counter this was built on, and
 * after each split the parts' counters are added to that one. {@link CausalAttention} splits its
 * heads through it, and so does a benchmark's kernel of one attention component.
 */
public final class HeadParts {
    private final CountingOps ops;
    private final int pairs;
    private final FlopCounter[] counters;
    private final CountingOps[] partOps;

    /** What a part does for one pair, numbered b*h + head. */
    public interface Work {
        void run(int part, int pair);
    }

    /** {@code pairs} pairs split across {@code ops}' threads, counted into {@code ops}' counter. */
    public HeadParts(CountingOps ops, int pairs) {
        this.ops = ops;
        this.pairs = pairs;
        int parts = ops.workers().parts(pairs, 1);
        this.counters = new FlopCounter[parts];
        this.partOps = new CountingOps[parts];
        for (int part = 0; part < parts; part++) {
            counters[part] = new FlopCounter();
            partOps[part] = new CountingOps(counters[part], ops.backend());
        }
    }

    /** How many parts the pairs are split into: one per thread that gets work. */
    public int parts() {
        return partOps.length;
    }

    /**
     * One op class per part, each made by {@code make} on that part's ops (a benchmark kernel's
     * scores, softmax or weighted sum per thread); tested through ComponentKernelTest.
     */
    public <T> T[] perPart(IntFunction<T[]> array, Function<CountingOps, T> make) {
        T[] made = array.apply(parts());
        for (int part = 0; part < made.length; part++) {
            made[part] = make.apply(partOps[part]);
        }
        return made;
    }

    /** The ops part {@code part} runs on, for the op classes it holds. */
    public CountingOps ops(int part) {
        return partOps[part];
    }

    /**
     * Runs {@code work} for every pair, then adds what the parts counted to the shared counter. Where
     * the shared counter's profile is on, each part times its ops into its own counter's profile;
     * part 0, the calling thread's, adds its calls and time to the shared one (every part its FLOPs),
     * and the rest of the split's wall time is one call of {@link OpClass#ATTENTION_SPLIT}.
     */
    public void each(Work work) {
        FlopCounter.Pass pass = ops.counter().pass();
        OpProfile profile = ops.counter().profile();
        boolean profiling = profile.enabled();
        for (FlopCounter part : counters) {
            part.profile().enabled(profiling);
        }
        long start = profile.start();
        ops.workers().split(pairs, 1, 1, (part, from, to) -> {
            counters[part].pass(pass);
            for (int pair = from; pair < to; pair++) {
                work.run(part, pair);
            }
            return 0;
        });
        if (profiling) {
            profile.stopSplit(OpClass.ATTENTION_SPLIT, start, counters[0].profile().timedNanos());
        }
        for (int part = 0; part < counters.length; part++) {
            ops.counter().add(counters[part]);
            counters[part].reset();
            if (profiling) {
                profile.addPart(counters[part].profile(), part == 0);
                counters[part].profile().clear();
            }
        }
    }
}
