package io.convzoo.serving.cli;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.convzoo.zoo.checkpoint.CheckpointExporter;
import io.convzoo.zoo.checkpoint.CheckpointExporter.Format;
import io.convzoo.zoo.djl.ModelTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code convzoo export <id|DIR> --format torchscript|pth|safetensors|onnx --out FILE}: a zoo model (its
 * installed pretrained weights, {@code --untrained}, or a directory written by {@code convzoo import}
 * or {@code finetune}) for PyTorch and other runtimes; see {@link CheckpointExporter}.
 */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = {"Export a model for PyTorch: its eval forward as a TorchScript file (torch.jit.load), "
                + "or its state_dict in the official key naming as a torch.save zip (.pth) or a .safetensors file, "
                + "loadable by the official PyTorch code with load_state_dict(strict=True).",
                "<model> is a model id (its installed pretrained weights, or --untrained) or a directory written by "
                + "'convzoo import' or 'convzoo finetune'."})
final class ExportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "<model>", description = "Model id or model directory.")
    String model;

    @Option(names = "--format", required = true, paramLabel = "FORMAT",
            description = "torchscript, pth, safetensors or onnx (ONNX opset 17, dynamic batch, BatchNorms folded; checked on ONNX Runtime).")
    String format;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The file to write.")
    Path out;

    @Option(names = "--untrained", description = "With a model id: the untrained model (pretrained=false).")
    boolean untrained;

    @Override
    public Integer call() {
        try {
            Format f = Format.parse(format);
            if (Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + " is a directory; give the file to write");
            }
            ModelTarget target = ModelTarget.resolve(model, untrained);
            try (ZooModel<NDList, NDList> zoo = target.criteria(NDList.class, NDList.class, untrained).build()
                    .loadModel()) {
                Shape sample = new Shape(1, target.inputChannels(), target.inputSize(), target.inputSize());
                CheckpointExporter.export(zoo.getBlock(), f, out, sample);
            }
            System.out.println("wrote " + f.label() + " of " + (target.id() == null ? model : target.id()) + " to "
                    + out + " (" + Files.size(out) + " bytes)");
            return 0;
        } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
            return ImportCommand.reportError(e);
        }
    }
}
