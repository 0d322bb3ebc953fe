package io.convzoo.serving.cli;

import com.google.gson.GsonBuilder;
import io.convzoo.zoo.ModelRegistry;
import io.convzoo.zoo.ModelSpec;
import io.convzoo.zoo.ModelStats;
import io.convzoo.zoo.djl.PretrainedWeights;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convzoo models [--json]}: every variant with its family, params, MACs and installed weights. */
@Command(name = "models", mixinStandardHelpOptions = true, versionProvider = ConvZooCli.Version.class,
        description = "List every model: id, family, params, MACs (at its default input), installed weights.")
final class ModelsCommand implements Callable<Integer> {

    @Option(names = "--json", description = "Print a JSON array instead of a table.")
    boolean json;

    @Override
    public Integer call() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ModelSpec spec : ModelRegistry.all()) {
            ModelStats.Entry stats = ModelStats.of(spec);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", spec.id());
            row.put("family", spec.family());
            row.put("params", stats.params());
            row.put("macs", stats.macs());
            row.put("inputShape", List.of(1, spec.defaults().inputChannels(), spec.inputSize(), spec.inputSize()));
            row.put("numClasses", spec.defaults().numClasses());
            row.put("properties", spec.properties());
            row.put("weights", installedWeights(spec));
            rows.add(row);
        }
        if (json) {
            System.out.println(new GsonBuilder().setPrettyPrinting().create().toJson(rows));
            return 0;
        }
        System.out.printf("%-24s %-8s %14s %16s  %-16s %s%n", "id", "family", "params", "MACs", "input", "weights");
        for (Map<String, Object> row : rows) {
            @SuppressWarnings("unchecked")
            List<Integer> shape = (List<Integer>) row.get("inputShape");
            @SuppressWarnings("unchecked")
            List<String> weights = (List<String>) row.get("weights");
            System.out.printf("%-24s %-8s %,14d %,16d  %-16s %s%n", row.get("id"), row.get("family"), row.get("params"),
                    row.get("macs"), shape.get(1) + "x" + shape.get(2) + "x" + shape.get(3),
                    weights.isEmpty() ? "-" : String.join(",", weights));
        }
        return 0;
    }

    private static List<String> installedWeights(ModelSpec spec) {
        String dataset = spec.properties().getOrDefault("dataset", "imagenet");
        return PretrainedWeights.isInstalled(spec.id(), dataset) ? List.of(dataset) : List.of();
    }
}
