package io.convzoo.serving.cli;

import io.convzoo.zoo.ModelArgs;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.checkpoint.CheckpointImporter;
import io.convzoo.zoo.checkpoint.WeightMappingException;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convzoo import <id> --checkpoint FILE [--out DIR] [--num-classes K] [--non-strict]}:
 * reads an official PyTorch checkpoint with the pure-Java reader (nothing in it is executed),
 * loads it into the zoo model by official names and writes a DJL model directory. Without
 * {@code --out} it installs into the local repository root as the model's pretrained weights.
 * Errors are one line on stderr with exit code 2; a checkpoint that does not fit the model adds
 * its key/shape report under that line.
 */
@Command(name = "import", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = {"Import an official PyTorch checkpoint (.pth / .pth.tar / .pt, zip or legacy format; "
                + "also .safetensors, .npz) into a DJL model directory (<id>-0000.params + serving.properties).",
                "Load it with ModelDirectory.criteria(dir, in, out) (Criteria.optModelUrls with the zoo's translators) or "
                + "'convzoo predict DIR'. Installed under the "
                + "local repository root (-D" + PretrainedWeights.ROOT_PROPERTY + "=ROOT or " + PretrainedWeights.ROOT_ENV
                + "=ROOT) as ROOT/<id>/<dataset>, it is the model's pretrained artifact."})
final class ImportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<id>", description = "Model id (see 'convzoo models').")
    String id;

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "The checkpoint file.")
    Path checkpoint;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Output directory; default ROOT/<id>/<dataset> under the local repository root.")
    Path out;

    @Option(names = "--num-classes", paramLabel = "K",
            description = "Classifier outputs of the checkpoint (default: the model's, 1000 for ImageNet).")
    Integer numClasses;

    @Option(names = "--arg", paramLabel = "KEY=VALUE",
            description = "A model argument recorded with the weights, e.g. temperature=1 for a trained DY-ResNet "
                    + "(its attention temperature is not in the checkpoint); repeatable.")
    Map<String, String> arguments = new LinkedHashMap<>();

    @Option(names = "--non-strict",
            description = "Tolerate missing keys (they keep the official initialization) and unexpected keys "
                    + "(ignored), like load_state_dict(strict=False). Shape mismatches still fail.")
    boolean nonStrict;

    @Override
    public Integer call() {
        try {
            return run();
        } catch (WeightMappingException e) {
            // The one-line error, then the report of every missing / unexpected / mismatched key.
            String[] lines = e.getMessage().split("\n", 2);
            System.err.println("convzoo: " + lines[0] + (nonStrict ? "" : " (strict; see --non-strict)"));
            if (lines.length > 1) {
                System.err.println(lines[1]);
            }
            return 2;
        } catch (NoSuchFileException e) {
            System.err.println("convzoo: checkpoint not found: " + e.getFile());
            return 2;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("convzoo: " + firstLine(e.getMessage()));
            return 2;
        }
    }

    private int run() throws IOException {
        ModelSpec spec = ModelRegistry.get(id);
        ModelArgs args = ModelArgs.fromMap(arguments, spec.defaults());
        if (numClasses != null) {
            args = args.withNumClasses(numClasses);
        }
        String dataset = spec.properties().getOrDefault("dataset", "imagenet");
        Optional<Path> root = PretrainedWeights.localRoot();
        Path dir = out != null ? out : root.map(r -> r.resolve(id).resolve(dataset)).orElseThrow(() ->
                new IllegalArgumentException("give --out DIR, or set the local repository root with -D"
                        + PretrainedWeights.ROOT_PROPERTY + "=ROOT or " + PretrainedWeights.ROOT_ENV + "=ROOT"));
        CheckpointImporter.Imported imported = CheckpointImporter.importModel(spec, args, checkpoint, dir, !nonStrict);
        System.out.printf("imported %d tensors of %s (%s) into %s%n", imported.result().loaded(),
                imported.checkpoint().source(), imported.checkpoint().format(), imported.params());
        if (!imported.result().missing().isEmpty()) {
            System.err.println("convzoo: warning: " + imported.result().missing().size()
                    + " parameters not in the checkpoint keep the official initialization: "
                    + String.join(", ", imported.result().missing()));
        }
        if (!imported.result().unexpected().isEmpty()) {
            System.err.println("convzoo: warning: ignored " + imported.result().unexpected().size()
                    + " checkpoint tensors the model has no parameter for: "
                    + String.join(", ", imported.result().unexpected()));
        }
        boolean installed = root.isPresent() && dir.toAbsolutePath().normalize()
                .equals(root.get().resolve(id).resolve(dataset).toAbsolutePath().normalize());
        if (installed) {
            System.out.println("installed as the pretrained weights of " + id + " (dataset " + dataset
                    + "): optArgument(\"pretrained\", true) and 'convzoo predict " + id + "' now load them");
        } else {
            System.out.println("load it with ModelDirectory.criteria(Path.of(\"" + dir.toAbsolutePath()
                    + "\"), in, out) (optModelUrls with the zoo's translators) or 'convzoo predict " + dir + "'");
        }
        return 0;
    }

    /**
     * A failed command's one line on stderr (the telling cause, not DJL's wrapper), the stack trace
     * too with CONVZOO_DEBUG set; returns the exit code 2.
     */
    static int reportError(Exception e) {
        System.err.println("convzoo: " + ConvZooCli.forCommandLine(firstLine(io.convzoo.zoo.djl.TranslateErrors.message(e))));
        if (System.getenv("CONVZOO_DEBUG") != null) {
            e.printStackTrace();
        }
        return 2;
    }

    static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
