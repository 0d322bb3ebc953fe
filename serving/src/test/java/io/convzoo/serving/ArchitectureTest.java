package io.convzoo.serving;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The layering of docs/architecture.md, checked on the main classes of every module: no package
 * depends on itself through others, the block core and the families know nothing of folding or
 * scripting (which are interpreters of the blocks' dataflow), and each module only uses those below it.
 */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.convzoo");

    /** The convolution families and generic layers: block forwards, nothing else. */
    private static final String[] FAMILIES = {"io.convzoo.blocks.conv..", "io.convzoo.blocks.pyconv..",
        "io.convzoo.blocks.octconv..", "io.convzoo.blocks.hetconv..", "io.convzoo.blocks.res2net..",
        "io.convzoo.blocks.dynamic..", "io.convzoo.blocks.layers..", "io.convzoo.zoo.arch.."};

    @Test
    void noPackageCycles() {
        slices().matching("io.convzoo.(**)").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void familiesDependOnTheCoreOnlyNeverOnFoldingOrScripting() {
        noClasses().that().resideInAnyPackage(FAMILIES)
                .should().dependOnClassesThat().resideInAnyPackage("io.convzoo.blocks.infer..",
                        "io.convzoo.blocks.script..", "io.convzoo.zoo.infer..", "io.convzoo.zoo.djl..",
                        "io.convzoo.zoo.train..", "io.convzoo.serving..")
                .check(MAIN);
    }

    @Test
    void theCoreKnowsNoFamilyLayerOrInterpreterBuiltOnIt() {
        noClasses().that().resideInAPackage("io.convzoo.blocks")
                .should().dependOnClassesThat().resideInAnyPackage("io.convzoo.blocks.*..", "io.convzoo.zoo..",
                        "io.convzoo.serving..")
                .check(MAIN);
    }

    @Test
    void modulesUseOnlyTheModulesBelowThem() {
        noClasses().that().resideInAPackage("io.convzoo.blocks..")
                .should().dependOnClassesThat().resideInAnyPackage("io.convzoo.zoo..", "io.convzoo.serving..")
                .check(MAIN);
        noClasses().that().resideInAPackage("io.convzoo.zoo..")
                .should().dependOnClassesThat().resideInAPackage("io.convzoo.serving..")
                .check(MAIN);
    }
}
