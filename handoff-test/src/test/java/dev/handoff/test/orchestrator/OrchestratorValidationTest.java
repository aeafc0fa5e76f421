package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.Plan;
import dev.handoff.api.Release;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.Lifecycle;
import dev.handoff.api.spi.Launcher;
import dev.handoff.core.Orchestrator;
import dev.handoff.test.sim.SimulatedInstance;
import dev.handoff.test.sim.SimulatedInstance.Script;
import dev.handoff.test.sim.SimulatedLauncher;
import dev.handoff.test.sim.SimulatedRouter;
import dev.handoff.test.sim.VirtualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Bad input: a clear exception naming the field or the problem, and nothing started. */
class OrchestratorValidationTest {

    private final VirtualClock clock = new VirtualClock();
    private final SimulatedLauncher launcher = new SimulatedLauncher(clock);
    private final SimulatedRouter router = new SimulatedRouter(clock);

    static Stream<Arguments> timeouts() {
        return Stream.of(
                timeout("launchTimeout", Orchestrator.Builder::launchTimeout),
                timeout("readyTimeout", Orchestrator.Builder::readyTimeout),
                timeout("attachTimeout", Orchestrator.Builder::attachTimeout),
                timeout("detachTimeout", Orchestrator.Builder::detachTimeout),
                timeout("drainTimeout", Orchestrator.Builder::drainTimeout),
                timeout("forceTimeout", Orchestrator.Builder::forceTimeout),
                timeout("destroyTimeout", Orchestrator.Builder::destroyTimeout),
                timeout("verifyTimeout", Orchestrator.Builder::verifyTimeout));
    }

    private static Arguments timeout(String name,
                                     BiFunction<Orchestrator.Builder, Duration, Orchestrator.Builder> setter) {
        return Arguments.of(name, setter);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("timeouts")
    void timeoutsMustBePositive(String name, BiFunction<Orchestrator.Builder, Duration, Orchestrator.Builder> setter) {
        Orchestrator.Builder builder = Orchestrator.builder("web", launcher, router);

        assertThatThrownBy(() -> setter.apply(builder, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(name + " must be > 0, but was PT0S");
        assertThatThrownBy(() -> setter.apply(builder, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage(name + " must be > 0, but was PT-1S");
        assertThatThrownBy(() -> setter.apply(builder, null)).isInstanceOf(NullPointerException.class)
                .hasMessage(name + " must not be null");
        assertThat(setter.apply(builder, Duration.ofMillis(1))).isSameAs(builder);
    }

    @Test
    void propagationDelayMayBeZeroButNotNegative() {
        Orchestrator.Builder builder = Orchestrator.builder("web", launcher, router);

        assertThat(builder.propagationDelay(Duration.ZERO)).isSameAs(builder);
        assertThatThrownBy(() -> builder.propagationDelay(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("propagationDelay must be >= 0, but was PT-0.005S");
    }

    @Test
    void nullArgumentsAreNamed() {
        assertThatThrownBy(() -> Orchestrator.builder(null, launcher, router)).isInstanceOf(NullPointerException.class)
                .hasMessage("group must not be null");
        assertThatThrownBy(() -> Orchestrator.builder("web", (Launcher) null, router))
                .isInstanceOf(NullPointerException.class).hasMessage("launcher must not be null");
        assertThatThrownBy(() -> Orchestrator.builder("web", (Release) null, router))
                .isInstanceOf(NullPointerException.class).hasMessage("release must not be null");
        assertThatThrownBy(() -> Release.of("2.0 beta", launcher)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("label must be 1 to 128 characters without white space, but was '2.0 beta'");
        assertThatThrownBy(() -> Release.of("2.0", null)).isInstanceOf(NullPointerException.class)
                .hasMessage("launcher must not be null");
        assertThatThrownBy(() -> Orchestrator.builder("web", launcher, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("router must not be null");
        Orchestrator.Builder builder = Orchestrator.builder("web", launcher, router);
        assertThatThrownBy(() -> builder.scheduler(null)).hasMessage("scheduler must not be null");
        assertThatThrownBy(() -> builder.executor(null)).hasMessage("executor must not be null");
        assertThatThrownBy(() -> builder.meterRegistry(null)).hasMessage("registry must not be null");
        assertThatThrownBy(() -> builder.listener(null)).hasMessage("listener must not be null");
        assertThatThrownBy(() -> Orchestrator.builder(" ", launcher, router))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("group must not be blank, but was ' '");
    }

    @Test
    void swapOfANullPlanOrAnEmptyGroupStartsNothing() {
        Orchestrator orchestrator = orchestrator(launcher);

        assertThatThrownBy(() -> orchestrator.swap(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("plan must not be null");
        assertThatThrownBy(() -> orchestrator.swap(Plan.oneForOne())).isInstanceOf(IllegalStateException.class)
                .hasMessage("group 'web' has no instances to swap; adopt() or start() them first");
        assertThat(launcher.launched()).isEmpty();
    }

    @Test
    void plansThatDoNotFitTheGroupStartNothing() {
        Orchestrator orchestrator = orchestrator(launcher);
        orchestrator.adopt(running("a"), running("b"));

        assertThatThrownBy(() -> orchestrator.swap(Plan.oneForOne())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan one-for-one needs a group of exactly 1 instance, but group 'web' has 2; use"
                        + " rolling(maxSurge, maxUnavailable), blueGreen() or canary(gate)");
        assertThatThrownBy(() -> Plan.rolling(0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxSurge and maxUnavailable must not both be 0");
        assertThatThrownBy(() -> Plan.rolling(-1, 1)).hasMessage("maxSurge must be >= 0, but was -1");
        assertThatThrownBy(() -> Plan.canary(null)).hasMessage("gate must not be null");
        assertThatThrownBy(() -> orchestrator.swap(Plan.start())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan start launches a group's first instances: call start(count), not swap(plan)");
        assertThat(launcher.launched()).isEmpty();

        Orchestrator single = orchestrator(launcher);
        single.adopt(running("c"));
        assertThatThrownBy(() -> single.swap(Plan.rolling(0, 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan rolling(maxSurge=0, maxUnavailable=1) could leave group 'web' empty:"
                        + " maxUnavailable must be less than the group's 1 instance(s)");
        assertThat(launcher.launched()).isEmpty();
    }

    @Test
    void adoptingAnInstanceTwiceIsRefused() {
        Orchestrator orchestrator = orchestrator(launcher);
        SimulatedInstance instance = running("a");

        assertThatThrownBy(() -> orchestrator.adopt(instance, instance)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("instance 'a' is already in group 'web': an instance cannot be adopted twice");
        assertThat(orchestrator.instances()).isEmpty();
        orchestrator.adopt(instance);
        assertThatThrownBy(() -> orchestrator.adopt(instance)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> orchestrator.adopt((Lifecycle) null)).isInstanceOf(NullPointerException.class)
                .hasMessage("instances[0] must not be null");
        assertThatThrownBy(() -> orchestrator.start(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("count must be >= 1, but was 0");
        assertThat(orchestrator.instances()).containsExactly(instance);
    }

    @Test
    void aLauncherThatReturnsAnInstanceOfTheGroupIsSwappingAnInstanceForItself() {
        // given a launcher that hands back the running instance instead of a new one
        SimulatedInstance current = running("a");
        AtomicInteger calls = new AtomicInteger();
        Launcher selfSwapping = id -> {
            calls.incrementAndGet();
            return CompletableFuture.completedFuture(current);
        };
        Orchestrator orchestrator = orchestrator(selfSwapping);
        orchestrator.adopt(current);

        // when
        SwapResult result = clock.runUntil(orchestrator.swap(Plan.oneForOne()));

        // then nothing happened to the running instance
        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().isInstanceOf(IllegalStateException.class)
                .extracting(Throwable::getMessage).isEqualTo("swapping an instance for itself: asked for new instance"
                        + " 'web-1', the launcher returned instance 'a', which is already in group 'web'");
        assertThat(current.isReady()).isTrue();
        assertThat(current.destroyed()).isFalse();
        assertThat(router.attached()).containsExactly("a");
        assertThat(calls).hasValue(1);
    }

    @Test
    void aLauncherThatReturnsAnotherIdIsRolledBackAndItsInstanceDestroyed() {
        SimulatedInstance stray = SimulatedInstance.running("stray", clock);
        Orchestrator orchestrator = orchestrator(id -> CompletableFuture.completedFuture(stray));
        orchestrator.adopt(running("a"));

        SwapResult result = clock.runUntil(orchestrator.swap(Plan.oneForOne()));

        assertThat(result.outcome()).isEqualTo(SwapOutcome.ROLLED_BACK);
        assertThat(result.cause()).get().extracting(Throwable::getMessage).isEqualTo("the launcher returned an"
                + " instance with id 'stray' when asked for 'web-1': Launcher.launch must return a handle whose id()"
                + " is the id it was given");
        assertThat(stray.destroyed()).isTrue();
        assertThat(router.attached()).containsExactly("a");
    }

    private Orchestrator orchestrator(Launcher chosen) {
        return Orchestrator.builder("web", chosen, router).scheduler(clock).executor(Runnable::run).build();
    }

    private SimulatedInstance running(String id) {
        SimulatedInstance instance = SimulatedInstance.running(id, clock);
        clock.runUntil(router.attach(instance));
        return instance;
    }

    @Test
    void scriptValuesAreValidated() {
        assertThatThrownBy(() -> Script.builder().startDelay(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("startDelay must be >= 0, but was PT-1S");
        assertThatThrownBy(() -> Script.builder().fault(SimulatedInstance.Fault.CRASHES_WHILE_SERVING))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("crashAt(SwapStep)");
        assertThat(Script.healthy().faults()).isEmpty();
    }
}
