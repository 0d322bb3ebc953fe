package io.convzoo.serving.cli;

import ai.djl.ndarray.types.Shape;
import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.summary.ModelSummary;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code convzoo summary <id> [--shape N,C,H,W] [--num-classes K] [--json]}. */
@Command(name = "summary", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = "Per-layer summary of a model (torchsummary layout): shapes, params, MACs, receptive field.")
final class SummaryCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<id>", description = "Model id (see 'convzoo models').")
    String id;

    @Option(names = "--shape", paramLabel = "N,C,H,W", description = "Input shape; default 1,<channels>,<size>,"
            + "<size> of the model. The batch N scales the input and activation sizes (as torchsummary).")
    String shape;

    /** The former name: {@code --input} is a file everywhere else (predict). */
    @Option(names = "--input", paramLabel = "N,C,H,W", hidden = true)
    String deprecatedInput;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec commandSpec;

    @Option(names = "--num-classes", paramLabel = "K", description = "Classifier outputs (default: the model's).")
    Integer numClasses;

    @Option(names = "--json", description = "Print JSON (top-level params, macs, layers, ...).")
    boolean json;

    @Override
    public Integer call() {
        ModelSpec spec = ModelRegistry.get(id);
        String input = shape;
        if (deprecatedInput != null) {
            if (shape != null) {
                throw new IllegalArgumentException("give --shape only (--input is its deprecated name)");
            }
            commandSpec.commandLine().getErr().println("convzoo summary: --input is deprecated here, use --shape "
                    + deprecatedInput + " (--input names a file in predict)");
            input = deprecatedInput;
        }
        Shape inputShape = input == null
                ? new Shape(1, spec.defaults().inputChannels(), spec.inputSize(), spec.inputSize())
                : parseShape(input);
        ModelArgs args = spec.defaults().withInputChannels((int) inputShape.get(1));
        if (numClasses != null) {
            args = args.withNumClasses(numClasses);
        }
        ModelSummary summary = ModelSummary.of(spec.build(args), inputShape);
        System.out.println(json ? summary.toJson() : summary.toString());
        return 0;
    }

    static Shape parseShape(String text) {
        String[] parts = text.split(",");
        if (parts.length != 4) {
            throw new IllegalArgumentException("--shape must be N,C,H,W (four integers), got '" + text + "'");
        }
        try {
            long[] dims = Arrays.stream(parts).mapToLong(p -> Long.parseLong(p.trim())).toArray();
            for (long d : dims) {
                if (d < 1) {
                    throw new IllegalArgumentException("--shape dimensions must be positive, got '" + text + "'");
                }
            }
            return new Shape(dims);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--shape must be N,C,H,W (four integers), got '" + text + "'", e);
        }
    }
}
