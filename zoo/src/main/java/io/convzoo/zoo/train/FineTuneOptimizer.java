package io.convzoo.zoo.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.util.Pair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SGD (momentum, Nesterov) and AdamW with PyTorch's update rules, whose state (step counts,
 * momentum buffers, Adam moments) is keyed by parameter <em>path</em> instead of DJL's random
 * parameter ids, so that it can be saved with a checkpoint and restored into a freshly built model:
 * a resumed run continues at the same step of the schedule with the same buffers.
 *
 * <ul>
 *   <li>SGD: {@code g = grad + wd·w; buf = μ·buf + g} (buf = g at the first step);
 *       {@code g = nesterov ? g + μ·buf : buf; w -= lr·g}.</li>
 *   <li>AdamW: {@code w *= 1 − lr·wd; m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²;
 *       w -= lr/(1−β1^t) · m / (sqrt(v/(1−β2^t)) + ε)}.</li>
 * </ul>
 * The learning rate of a parameter comes from a {@link ParameterTracker} (e.g.
 * {@link GroupLearningRate} for a lower backbone rate) at the global step, counted from 1 as DJL does.
 * Call {@link #bind(Block)} once the model is built so ids can be mapped to paths.
 */
public final class FineTuneOptimizer extends Optimizer {

    /** The update rule. */
    public enum Kind { SGD, ADAMW }

    private static final String MAGIC = "convzoo-optimizer-v1";

    private final Kind kind;
    private final ParameterTracker learningRate;
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final float beta1;
    private final float beta2;
    private final float epsilon;

    private final Map<String, String> pathOfId = new ConcurrentHashMap<>();
    private final Map<String, Integer> counts = new ConcurrentHashMap<>();
    private final Map<String, NDArray> first = new ConcurrentHashMap<>();
    private final Map<String, NDArray> second = new ConcurrentHashMap<>();
    private volatile int step;

    private FineTuneOptimizer(Builder b) {
        super(b);
        this.kind = b.kind;
        this.learningRate = b.learningRate;
        this.momentum = b.momentum;
        this.nesterov = b.nesterov;
        this.weightDecay = b.weightDecay;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.epsilon = b.epsilon;
    }

    /** SGD builder. */
    public static Builder sgd(ParameterTracker learningRate) {
        return new Builder(Kind.SGD, learningRate);
    }

    /** AdamW builder. */
    public static Builder adamW(ParameterTracker learningRate) {
        return new Builder(Kind.ADAMW, learningRate);
    }

    /** Learns the parameter paths of {@code model} (call after any head/stem replacement). */
    public FineTuneOptimizer bind(Block model) {
        pathOfId.clear();
        for (Pair<String, Parameter> p : model.getParameters()) {
            pathOfId.put(p.getValue().getId(), p.getKey());
        }
        return this;
    }

    /** The update rule. */
    public Kind kind() {
        return kind;
    }

    /** Global step: the largest number of updates any parameter has had. */
    public int step() {
        return step;
    }

    /** The learning rate a parameter gets at global step {@code numUpdate} (1-based). */
    public float learningRate(String parameterId, int numUpdate) {
        return learningRate.getNewValue(parameterId, numUpdate);
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        String path = pathOfId.getOrDefault(parameterId, parameterId);
        int t = counts.merge(path, 1, Integer::sum);
        step = Math.max(step, t);
        float lr = learningRate.getNewValue(parameterId, step);
        if (Float.isNaN(lr) || Float.isInfinite(lr)) {
            throw new IllegalStateException("learning rate of " + path + " is " + lr);
        }
        try (NDScope scope = new NDScope()) {
            NDArray g = rescaleGrad == 1f ? grad : grad.mul(rescaleGrad);
            if (clipGrad > 0) {
                g = g.clip(-clipGrad, clipGrad);
            }
            if (kind == Kind.SGD) {
                if (weightDecay != 0f) {
                    g = g.add(weight.mul(weightDecay));
                }
                if (momentum != 0f) {
                    NDArray buf = first.get(path);
                    if (buf == null) {
                        buf = keep(g.duplicate(), weight.getManager());
                        first.put(path, buf);
                    } else {
                        buf.muli(momentum).addi(g);
                    }
                    g = nesterov ? g.add(buf.mul(momentum)) : buf;
                }
                weight.subi(g.mul(lr));
            } else {
                if (weightDecay != 0f) {
                    weight.muli(1f - lr * weightDecay);
                }
                NDArray m = first.computeIfAbsent(path, k -> keep(weight.zerosLike(), weight.getManager()));
                NDArray v = second.computeIfAbsent(path, k -> keep(weight.zerosLike(), weight.getManager()));
                m.muli(beta1).addi(g.mul(1f - beta1));
                v.muli(beta2).addi(g.square().muli(1f - beta2));
                double bc1 = 1 - Math.pow(beta1, t);
                double bc2 = 1 - Math.pow(beta2, t);
                NDArray denom = v.div((float) bc2).sqrt().addi(epsilon);
                weight.subi(m.div(denom).muli((float) (lr / bc1)));
            }
            // DJL's PyTorch optimizers clear the accumulated gradient after the update (the
            // gradient collector does not); without this, gradients would add up across steps.
            if (weight.hasGradient()) {
                NDArray accumulated = weight.getGradient();
                accumulated.subi(accumulated);
            }
        }
    }

    private static NDArray keep(NDArray array, NDManager manager) {
        NDScope.unregister(array);
        array.attach(manager);
        return array;
    }

    /** Writes step counts and buffers (by parameter path). */
    public void save(OutputStream out) throws IOException {
        DataOutputStream dos = new DataOutputStream(out);
        dos.writeUTF(MAGIC);
        dos.writeUTF(kind.name());
        dos.writeInt(step);
        Map<String, Integer> sortedCounts = new TreeMap<>(counts);
        dos.writeInt(sortedCounts.size());
        for (Map.Entry<String, Integer> e : sortedCounts.entrySet()) {
            dos.writeUTF(e.getKey());
            dos.writeInt(e.getValue());
        }
        for (Map<String, NDArray> slot : java.util.List.of(first, second)) {
            Map<String, NDArray> sorted = new TreeMap<>(slot);
            dos.writeInt(sorted.size());
            for (Map.Entry<String, NDArray> e : sorted.entrySet()) {
                dos.writeUTF(e.getKey());
                byte[] bytes = e.getValue().encode();
                dos.writeInt(bytes.length);
                dos.write(bytes);
            }
        }
        dos.flush();
    }

    /** Restores what {@link #save} wrote; buffers are created on {@code manager}. */
    public void load(InputStream in, NDManager manager) throws IOException {
        DataInputStream dis = new DataInputStream(in);
        String magic = dis.readUTF();
        if (!MAGIC.equals(magic)) {
            throw new IOException("not a ConvZoo optimizer state (header '" + magic + "')");
        }
        String savedKind = dis.readUTF();
        if (!kind.name().equals(savedKind)) {
            throw new IOException("optimizer state is for " + savedKind + ", this run uses " + kind);
        }
        step = dis.readInt();
        counts.clear();
        int n = dis.readInt();
        for (int i = 0; i < n; i++) {
            counts.put(dis.readUTF(), dis.readInt());
        }
        for (Map<String, NDArray> slot : java.util.List.of(first, second)) {
            slot.clear();
            int size = dis.readInt();
            for (int i = 0; i < size; i++) {
                String path = dis.readUTF();
                byte[] bytes = new byte[dis.readInt()];
                dis.readFully(bytes);
                slot.put(path, manager.decode(bytes));
            }
        }
    }

    /** Number of state buffers held (for tests). */
    public Map<String, Integer> updateCounts() {
        return new LinkedHashMap<>(counts);
    }

    /** Builder. */
    public static final class Builder extends OptimizerBuilder<Builder> {

        private final Kind kind;
        private final ParameterTracker learningRate;
        private float momentum;
        private boolean nesterov;
        private float weightDecay;
        private float beta1 = 0.9f;
        private float beta2 = 0.999f;
        private float epsilon = 1e-8f;

        Builder(Kind kind, ParameterTracker learningRate) {
            this.kind = kind;
            this.learningRate = java.util.Objects.requireNonNull(learningRate, "learning rate");
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** SGD momentum (0 = none). */
        public Builder optMomentum(float momentum, boolean nesterov) {
            if (momentum < 0 || momentum >= 1) {
                throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
            }
            if (nesterov && momentum == 0) {
                throw new IllegalArgumentException("Nesterov momentum needs momentum > 0");
            }
            this.momentum = momentum;
            this.nesterov = nesterov;
            return this;
        }

        /** Weight decay: L2 added to the gradient for SGD, decoupled for AdamW. */
        public Builder optWeightDecay(float weightDecay) {
            if (weightDecay < 0) {
                throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
            }
            this.weightDecay = weightDecay;
            return this;
        }

        /** AdamW betas and epsilon. */
        public Builder optAdam(float beta1, float beta2, float epsilon) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
            return this;
        }

        /** Builds the optimizer. */
        public FineTuneOptimizer build() {
            return new FineTuneOptimizer(this);
        }
    }
}
