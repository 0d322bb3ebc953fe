package io.convzoo.serving.bench;

import ai.djl.Model;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.infer.Inference;
import io.convzoo.zoo.infer.OnnxRuntimeEnvironment;
import io.convzoo.zoo.summary.ModelSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** One benchmarked network: our Java block, or a TorchScript trace loaded in the same process. */
abstract class BenchModel implements AutoCloseable {

    final String id;
    final String label;

    BenchModel(String id, String label) {
        this.id = id;
        this.label = label;
    }

    /** One eval forward of {@code x}, all intermediates freed; returns the logits. */
    abstract float[] forward(NDArray x);

    @Override
    public abstract void close();

    /** Id of the reference ResNet-50 (torchvision's layout, a registered model of family resnet). */
    static final String RESNET50 = "resnet50";

    /** Whether {@code id} names a model this bench can build. */
    static boolean isKnown(String id) {
        return ModelRegistry.find(id).isPresent();
    }

    /** Builds the block of {@code id} (1000 classes, 3 channels). */
    static Block buildBlock(String id) {
        return ModelRegistry.get(id).build();
    }

    /** Whether {@code id}'s forward has an ONNX form (the dynamic-convolution models have none). */
    static boolean hasOnnxForm(String id) {
        try (NDManager scope = NDManager.newBaseManager()) {
            Block block = buildBlock(id);
            block.initialize(scope, DataType.FLOAT32, new Shape(1, inputChannels(id), 32, 32));
            return io.convzoo.blocks.onnx.OnnxOps.unsupported(block) == null;
        }
    }

    /** Square input side of {@code id}. */
    static int inputSize(String id) {
        return ModelRegistry.get(id).inputSize();
    }

    /** Input channels of {@code id}. */
    static int inputChannels(String id) {
        return ModelRegistry.get(id).defaults().inputChannels();
    }

    /** Conv + linear MACs of one image (summary walk). */
    static long macsPerImage(String id) {
        int s = inputSize(id);
        return ModelSummary.of(buildBlock(id), new Shape(1, inputChannels(id), s, s)).macs();
    }

    /** How our model runs its eval forwards. */
    enum Variant {
        /** Prepared, as one TorchScript module written from its blocks (what the zoo's loaders give). */
        SCRIPTED("ours"),
        /** Prepared (folded BatchNorms, channels-last batches), block by block. */
        BLOCKS("ours-blocks"),
        /** Prepared, its ONNX form run by ONNX Runtime ({@code runtime=onnxruntime}). */
        ONNXRUNTIME("ours-ort"),
        /** Prepared with {@code runtime=auto}: per input shape, whichever of the two it measured faster. */
        AUTO("ours-auto"),
        /** Not prepared: the training-time forward in eval mode. */
        PLAIN("ours-plain");

        final String label;

        Variant(String label) {
            this.label = label;
        }
    }

    /** Our block with random weights and random BatchNorm statistics, run as {@link Variant}. */
    static final class Ours extends BenchModel {
        private final NDManager manager;
        private final Block block;
        private final ParameterStore ps;
        private final Variant variant;

        Ours(String id, NDManager parent, Variant variant) {
            super(id, variant.label);
            this.variant = variant;
            manager = parent.newSubManager();
            block = buildBlock(id);
            int s = inputSize(id);
            block.initialize(manager, DataType.FLOAT32, new Shape(1, inputChannels(id), s, s));
            randomizeBatchNormStatistics(block, manager);
            if (variant != Variant.PLAIN) {
                Inference.prepare(block, variant != Variant.BLOCKS, variant == Variant.ONNXRUNTIME
                        ? Inference.Runtime.ONNXRUNTIME : variant == Variant.AUTO ? Inference.Runtime.AUTO
                        : Inference.Runtime.LIBTORCH);
            }
            ps = new ParameterStore(manager, false);
        }

        Block block() {
            return block;
        }

        /** Whether its eval forwards may run on ONNX Runtime (runtime onnxruntime or auto). */
        boolean mayRunOnnxRuntime() {
            return variant == Variant.ONNXRUNTIME || variant == Variant.AUTO;
        }

        @Override
        float[] forward(NDArray x) {
            NDList out = Inference.forward(block, ps, x);
            float[] logits = out.head().toFloatArray();
            out.close();
            return logits;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    /** Non-trivial running statistics so that BatchNorm folding is really exercised. */
    static void randomizeBatchNormStatistics(Block block, NDManager manager) {
        block.getParameters().forEach(p -> {
            ai.djl.nn.Parameter param = p.getValue();
            if (param.getType() == ai.djl.nn.Parameter.Type.RUNNING_MEAN) {
                NDArray a = param.getArray();
                a.set(manager.randomNormal(0f, 0.1f, a.getShape(), DataType.FLOAT32).toFloatArray());
            } else if (param.getType() == ai.djl.nn.Parameter.Type.RUNNING_VAR) {
                NDArray a = param.getArray();
                a.set(manager.randomUniform(0.5f, 1.5f, a.getShape(), DataType.FLOAT32).toFloatArray());
            }
        });
    }

    /**
     * The official code's file for {@code id} at batch {@code batch} in {@code dir}: DIR/id.bN{@code extension}
     * (made where the batch is baked in), else DIR/id{@code extension}; null when neither exists.
     */
    static Path officialFile(Path dir, String id, int batch, String extension) {
        if (dir == null) {
            return null;
        }
        Path perBatch = dir.resolve(id + ".b" + batch + extension);
        if (Files.isRegularFile(perBatch)) {
            return perBatch;
        }
        Path any = dir.resolve(id + extension);
        return Files.isRegularFile(any) ? any : null;
    }

    /**
     * An ONNX export of the official code (DIR/id.onnx, or DIR/id.bN.onnx for batch N;
     * tools/make_torchscript_traces.py --onnx) run by ONNX Runtime.
     */
    static final class OfficialOnnx extends BenchModel {
        private final ai.onnxruntime.OrtSession session;

        private OfficialOnnx(String id, ai.onnxruntime.OrtSession session) {
            super(id, "onnxruntime");
            this.session = session;
        }

        /** The export of {@code id} for batch {@code batch} in {@code dir}, or null when there is none. */
        static Path find(Path dir, String id, int batch) {
            return officialFile(dir, id, batch, ".onnx");
        }

        /**
         * A session with every graph optimization and a pool of its own of {@code threads} intra-op threads, as a
         * user of ONNX Runtime gets by default. Each timed forward follows one of its own, so the pool's
         * arrangement does not change the figure (InferenceBench).
         */
        static OfficialOnnx load(String id, Path file, int threads) throws IOException {
            try (ai.onnxruntime.OrtSession.SessionOptions options = OnnxRuntimeEnvironment.ownPoolOptions(threads)) {
                return new OfficialOnnx(id, OnnxRuntimeEnvironment.get().createSession(file.toString(), options));
            } catch (ai.onnxruntime.OrtException e) {
                throw new IOException("cannot load ONNX " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        float[] forward(NDArray x) {
            java.nio.FloatBuffer data = x.toByteBuffer(true).order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
            try {
                return logits(session, data, x.getShape().getShape());
            } catch (ai.onnxruntime.OrtException e) {
                throw new IllegalStateException("ONNX Runtime failed on " + id + ": " + e.getMessage(), e);
            }
        }

        /** The first output of {@code session} run on {@code data} of {@code shape}, given to its one input. */
        static float[] logits(ai.onnxruntime.OrtSession session, java.nio.FloatBuffer data, long[] shape)
                throws ai.onnxruntime.OrtException {
            String input = session.getInputNames().iterator().next();
            try (ai.onnxruntime.OnnxTensor t = ai.onnxruntime.OnnxTensor.createTensor(OnnxRuntimeEnvironment.get(), data, shape);
                 ai.onnxruntime.OrtSession.Result out = session.run(java.util.Map.of(input, t))) {
                java.nio.FloatBuffer logits = ((ai.onnxruntime.OnnxTensor) out.get(0)).getFloatBuffer();
                float[] copy = new float[logits.remaining()];
                logits.get(copy);
                return copy;
            }
        }

        @Override
        public void close() {
            try {
                session.close();
            } catch (ai.onnxruntime.OrtException ignored) {
                // closing at the end of the bench
            }
        }
    }

    /** A TorchScript trace (DIR/id.pt, or DIR/id.bN.pt for batch N when present). */
    static final class Traced extends BenchModel {
        private final Model model;
        private final ParameterStore ps;

        private Traced(String id, Model model, NDManager manager) {
            super(id, "torchscript");
            this.model = model;
            this.ps = new ParameterStore(manager, false);
        }

        /** The trace of {@code id} for batch {@code batch} in {@code dir}, or null when there is none. */
        static Path find(Path dir, String id, int batch) {
            return officialFile(dir, id, batch, ".pt");
        }

        static Traced load(String id, Path file) throws IOException {
            Model model = Model.newInstance(id, "PyTorch");
            try {
                String name = file.getFileName().toString();
                model.load(file.getParent(), name.substring(0, name.length() - 3));
            } catch (MalformedModelException e) {
                model.close();
                throw new IOException("cannot load TorchScript " + file + ": " + e.getMessage(), e);
            }
            return new Traced(id, model, model.getNDManager());
        }

        @Override
        float[] forward(NDArray x) {
            NDList out = Inference.forward(model.getBlock(), ps, x);
            float[] logits = out.head().toFloatArray();
            out.close();
            return logits;
        }

        @Override
        public void close() {
            model.close();
        }
    }
}
