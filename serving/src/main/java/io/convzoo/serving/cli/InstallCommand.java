package io.convzoo.serving.cli;

import io.convzoo.zoo.djl.ModelDirectory;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convzoo install DIR [--as NAME]}: a model directory (a finetune run, or an import) into the
 * local repository root, as {@code ROOT/<id>/<NAME>/}, where loading the model by id finds it.
 */
@Command(name = "install", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = {"Install a model directory (a 'convzoo finetune' run or a 'convzoo import' output) into the local "
                + "repository root (-D" + PretrainedWeights.ROOT_PROPERTY + "=ROOT or " + PretrainedWeights.ROOT_ENV
                + "=ROOT) as ROOT/<id>/<NAME>/.",
                "Without --as, NAME is the model's preprocessing dataset (e.g. fashion-mnist): optArgument(\"pretrained\", "
                + "true), 'convzoo predict <id>' and 'serve --model <id>' then load it. With --as NAME, load it with "
                + "optArgument(\"dataset\", NAME)."})
final class InstallCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "The model directory.")
    Path dir;

    @Option(names = "--as", paramLabel = "NAME", description = "The slot under the model's id (default: its dataset).")
    String as;

    @Override
    public Integer call() {
        try {
            ModelDirectory model = ModelDirectory.read(dir);
            Path root = PretrainedWeights.localRoot().orElseThrow(() -> new IllegalArgumentException(
                    "set the local repository root with -D" + PretrainedWeights.ROOT_PROPERTY + "=ROOT (for bin/convzoo: "
                            + "CONVZOO_JAVA_OPTS) or " + PretrainedWeights.ROOT_ENV + "=ROOT"));
            String slot = as != null ? as : model.dataset();
            Path target = model.install(root, slot);
            String id = model.spec().id();
            System.out.println("installed " + dir + " as " + target + ": " + (as == null
                    ? "optArgument(\"pretrained\", true) and 'convzoo predict " + id + "' now load it"
                    : "load it with optArgument(\"dataset\", \"" + slot + "\") on " + id));
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("convzoo: " + ImportCommand.firstLine(e.getMessage()));
            return 2;
        }
    }
}
