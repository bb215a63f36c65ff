package dev.sluice.engine.collective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InProcessCollectiveTest extends CollectiveContractTest {

    @Override
    List<? extends Collective> create(int n, Duration timeout) {
        return new InProcessGroup(n, timeout).members();
    }

    /** The documented order: each element is combined as ((x0 + x1) + x2) + … on one rank. */
    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void sumIsTheRankOrderedFloatSumBitForBit(int n) throws Exception {
        List<? extends Collective> group = create(n);
        try {
            int count = 10_007;
            float[][] inputs = randomInputs(n, count, 7);
            float[][] out = allReduce(group, inputs, ReduceOp.SUM);
            float[] expected = new float[count];
            for (int i = 0; i < count; i++) {
                float acc = inputs[0][i];
                for (int r = 1; r < n; r++) {
                    acc += inputs[r][i];
                }
                expected[i] = acc;
            }
            for (int r = 0; r < n; r++) {
                assertArrayEquals(bits(expected), bits(out[r]), "rank " + r);
            }
        } finally {
            Ranks.closeAll(group);
        }
    }

    @Test
    void membersAreStableHandlesAndRangeChecked() {
        InProcessGroup group = new InProcessGroup(3);
        assertEquals(3, group.worldSize());
        assertSame(group.member(2), group.members().get(2));
        assertEquals(2, group.member(2).rank());
        assertThrows(IllegalArgumentException.class, () -> group.member(3));
        assertThrows(IllegalArgumentException.class, () -> new InProcessGroup(0));
    }
}
