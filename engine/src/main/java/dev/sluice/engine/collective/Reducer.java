package dev.sluice.engine.collective;

/**
 * Element-wise reduction kernels for the CPU collectives. Values are moved in cache-sized chunks
 * into Java arrays with bulk (memcpy) copies, combined in simple loops the JIT vectorizes, and
 * copied back. One instance per rank; its scratch arrays are allocated on first use of a type and
 * reused afterwards.
 */
final class Reducer {
    /** Elements per chunk: two float chunks are 32 KiB and stay in L1/L2. */
    static final int CHUNK = 4096;

    private final Lane[] lanes = new Lane[ElementType.values().length];

    /**
     * {@code dst[dstIndex + i] = src[0][srcIndex + i] ∘ src[1][srcIndex + i] ∘ … } for i in [0, count),
     * combined strictly in source order (left to right), then divided by {@code divisor} for AVG.
     * Sources and destination may be the same view.
     */
    void reduce(BufferView[] sources, int srcIndex, BufferView dst, int dstIndex, int count,
                ElementType type, ReduceOp op, int divisor) {
        Lane lane = lane(type);
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            lane.load(sources[0], srcIndex + done, true, n);
            for (int k = 1; k < sources.length; k++) {
                lane.load(sources[k], srcIndex + done, false, n);
                lane.combine(op, n);
            }
            if (op == ReduceOp.AVG) {
                lane.divide(divisor, n);
            }
            lane.store(dst, dstIndex + done, n);
        }
    }

    /** {@code dst[dstIndex + i] = dst[dstIndex + i] ∘ src[srcIndex + i]} for i in [0, count). */
    void accumulate(BufferView dst, int dstIndex, BufferView src, int srcIndex, int count,
                    ElementType type, ReduceOp op) {
        Lane lane = lane(type);
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            lane.load(dst, dstIndex + done, true, n);
            lane.load(src, srcIndex + done, false, n);
            lane.combine(op, n);
            lane.store(dst, dstIndex + done, n);
        }
    }

    /** Divides {@code count} elements by {@code divisor} in place (the final step of AVG). */
    void divide(BufferView dst, int dstIndex, int count, ElementType type, int divisor) {
        Lane lane = lane(type);
        for (int done = 0; done < count; done += CHUNK) {
            int n = Math.min(CHUNK, count - done);
            lane.load(dst, dstIndex + done, true, n);
            lane.divide(divisor, n);
            lane.store(dst, dstIndex + done, n);
        }
    }

    private Lane lane(ElementType type) {
        Lane lane = lanes[type.ordinal()];
        if (lane == null) {
            lane = switch (type) {
                case FLOAT32 -> new F32();
                case FLOAT64 -> new F64();
                case INT32 -> new I32();
                case INT64 -> new I64();
                case UINT8 -> new U8();
            };
            lanes[type.ordinal()] = lane;
        }
        return lane;
    }

    /** One element type: an accumulator chunk and an operand chunk. */
    private interface Lane {
        void load(BufferView view, int index, boolean intoAccumulator, int n);

        /** acc = acc ∘ operand */
        void combine(ReduceOp op, int n);

        void divide(int divisor, int n);

        void store(BufferView view, int index, int n);
    }

    private static final class F32 implements Lane {
        private final float[] acc = new float[CHUNK];
        private final float[] x = new float[CHUNK];

        @Override
        public void load(BufferView view, int index, boolean intoAccumulator, int n) {
            view.floats().get(index, intoAccumulator ? acc : x, 0, n);
        }

        @Override
        public void combine(ReduceOp op, int n) {
            float[] a = acc;
            float[] b = x;
            switch (op) {
                case SUM, AVG -> {
                    for (int i = 0; i < n; i++) {
                        a[i] += b[i];
                    }
                }
                case MAX -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.max(a[i], b[i]);
                    }
                }
                case MIN -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.min(a[i], b[i]);
                    }
                }
            }
        }

        @Override
        public void divide(int divisor, int n) {
            float d = divisor;
            float[] a = acc;
            for (int i = 0; i < n; i++) {
                a[i] /= d;
            }
        }

        @Override
        public void store(BufferView view, int index, int n) {
            view.floats().put(index, acc, 0, n);
        }
    }

    private static final class F64 implements Lane {
        private final double[] acc = new double[CHUNK];
        private final double[] x = new double[CHUNK];

        @Override
        public void load(BufferView view, int index, boolean intoAccumulator, int n) {
            view.doubles().get(index, intoAccumulator ? acc : x, 0, n);
        }

        @Override
        public void combine(ReduceOp op, int n) {
            double[] a = acc;
            double[] b = x;
            switch (op) {
                case SUM, AVG -> {
                    for (int i = 0; i < n; i++) {
                        a[i] += b[i];
                    }
                }
                case MAX -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.max(a[i], b[i]);
                    }
                }
                case MIN -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.min(a[i], b[i]);
                    }
                }
            }
        }

        @Override
        public void divide(int divisor, int n) {
            double d = divisor;
            double[] a = acc;
            for (int i = 0; i < n; i++) {
                a[i] /= d;
            }
        }

        @Override
        public void store(BufferView view, int index, int n) {
            view.doubles().put(index, acc, 0, n);
        }
    }

    private static final class I32 implements Lane {
        private final int[] acc = new int[CHUNK];
        private final int[] x = new int[CHUNK];

        @Override
        public void load(BufferView view, int index, boolean intoAccumulator, int n) {
            view.ints().get(index, intoAccumulator ? acc : x, 0, n);
        }

        @Override
        public void combine(ReduceOp op, int n) {
            int[] a = acc;
            int[] b = x;
            switch (op) {
                case SUM, AVG -> {
                    for (int i = 0; i < n; i++) {
                        a[i] += b[i];
                    }
                }
                case MAX -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.max(a[i], b[i]);
                    }
                }
                case MIN -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.min(a[i], b[i]);
                    }
                }
            }
        }

        @Override
        public void divide(int divisor, int n) {
            int[] a = acc;
            for (int i = 0; i < n; i++) {
                a[i] /= divisor;
            }
        }

        @Override
        public void store(BufferView view, int index, int n) {
            view.ints().put(index, acc, 0, n);
        }
    }

    private static final class I64 implements Lane {
        private final long[] acc = new long[CHUNK];
        private final long[] x = new long[CHUNK];

        @Override
        public void load(BufferView view, int index, boolean intoAccumulator, int n) {
            view.longs().get(index, intoAccumulator ? acc : x, 0, n);
        }

        @Override
        public void combine(ReduceOp op, int n) {
            long[] a = acc;
            long[] b = x;
            switch (op) {
                case SUM, AVG -> {
                    for (int i = 0; i < n; i++) {
                        a[i] += b[i];
                    }
                }
                case MAX -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.max(a[i], b[i]);
                    }
                }
                case MIN -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = Math.min(a[i], b[i]);
                    }
                }
            }
        }

        @Override
        public void divide(int divisor, int n) {
            long[] a = acc;
            for (int i = 0; i < n; i++) {
                a[i] /= divisor;
            }
        }

        @Override
        public void store(BufferView view, int index, int n) {
            view.longs().put(index, acc, 0, n);
        }
    }

    private static final class U8 implements Lane {
        private final byte[] acc = new byte[CHUNK];
        private final byte[] x = new byte[CHUNK];

        @Override
        public void load(BufferView view, int index, boolean intoAccumulator, int n) {
            view.bytes().get(index, intoAccumulator ? acc : x, 0, n);
        }

        @Override
        public void combine(ReduceOp op, int n) {
            byte[] a = acc;
            byte[] b = x;
            switch (op) {
                case SUM, AVG -> {
                    for (int i = 0; i < n; i++) {
                        a[i] += b[i];
                    }
                }
                case MAX -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = (byte) Math.max(a[i] & 0xFF, b[i] & 0xFF);
                    }
                }
                case MIN -> {
                    for (int i = 0; i < n; i++) {
                        a[i] = (byte) Math.min(a[i] & 0xFF, b[i] & 0xFF);
                    }
                }
            }
        }

        @Override
        public void divide(int divisor, int n) {
            byte[] a = acc;
            for (int i = 0; i < n; i++) {
                a[i] = (byte) ((a[i] & 0xFF) / divisor);
            }
        }

        @Override
        public void store(BufferView view, int index, int n) {
            view.bytes().put(index, acc, 0, n);
        }
    }
}
