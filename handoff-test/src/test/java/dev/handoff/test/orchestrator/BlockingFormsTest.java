package dev.handoff.test.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.handoff.api.HandoffException;
import dev.handoff.api.Plan;
import dev.handoff.api.SwapInProgressException;
import dev.handoff.api.SwapOutcome;
import dev.handoff.api.SwapResult;
import dev.handoff.api.WaitTimeoutException;
import dev.handoff.test.sim.SimulatedInstance.Fault;
import dev.handoff.test.sim.SimulatedInstance.Script;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code swapAndWait} and {@code startAndWait}: the result, or an unchecked exception; a wait that gives up leaves the
 * swap to end by its own deadlines.
 */
class BlockingFormsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Script SLOW_READY = Script.builder().readyDelay(Duration.ofSeconds(1)).build();

    @Test
    void givenAGroup_whenASwapIsWaitedFor_thenItsResultIsReturned() {
        Sim sim = new Sim();
        sim.adopt(1, Script.healthy());

        SwapResult result = sim.orchestrator.swapAndWait(Plan.oneForOne(), WAIT);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.retired()).containsExactly("old-1");
        sim.checker.assertHolds();
    }

    @Test
    void givenAnEmptyGroup_whenAStartIsWaitedFor_thenItsResultIsReturned() {
        Sim sim = new Sim();

        SwapResult result = sim.orchestrator.startAndWait(2, WAIT);

        assertThat(result.outcome()).isEqualTo(SwapOutcome.COMMITTED);
        assertThat(result.launched()).containsExactly("web-1", "web-2");
        assertThat(sim.router.attached()).containsExactlyInAnyOrder("web-1", "web-2");
    }

    @Test
    void givenAStartThatRollsBack_whenItIsWaitedFor_thenItsFailureIsThrown() {
        Sim sim = new Sim();
        sim.scripts.put(0, Script.builder().fault(Fault.FAILS_TO_START).build());

        assertThatThrownBy(() -> sim.orchestrator.startAndWait(2, WAIT)).isInstanceOf(HandoffException.class)
                .hasMessageStartingWith("starting group 'web' failed: ")
                .hasMessageContaining("simulated failure to start");
        assertThat(sim.router.attached()).isEmpty();
        assertThat(sim.orchestrator.instances()).isEmpty();
    }

    @Test
    void givenASwapSlowerThanTheWait_whenTheWaitGivesUp_thenTheSwapGoesOnAndEndsByItsOwnDeadlines() {
        // given a swap whose new instance is ready only after 1 s on the virtual clock (which nobody moves meanwhile)
        Sim sim = new Sim();
        sim.scripts.put(0, SLOW_READY);
        sim.adopt(1, Script.healthy());

        // when
        assertThatThrownBy(() -> sim.orchestrator.swapAndWait(Plan.oneForOne(), Duration.ofMillis(1)))
                .isInstanceOf(WaitTimeoutException.class)
                .hasMessage("web/swap-1 did not end within PT0.001S; it is not cancelled: it goes on and ends by its"
                        + " own deadlines")
                .satisfies(failure -> {
                    assertThat(((WaitTimeoutException) failure).swapId()).isEqualTo("web/swap-1");
                    assertThat(((WaitTimeoutException) failure).timeout()).isEqualTo(Duration.ofMillis(1));
                });

        // then the group is still held by the swap, which commits
        assertThatThrownBy(() -> sim.orchestrator.swap(Plan.oneForOne())).isInstanceOf(SwapInProgressException.class);
        sim.clock.runUntilIdle();
        assertThat(sim.ended).singleElement().extracting(SwapResult::outcome).isEqualTo(SwapOutcome.COMMITTED);
        sim.checker.assertHolds();
    }

    @Test
    void givenAnInterruptedThread_whenItWaitsForASwap_thenItGetsAnUncheckedExceptionWithItsInterruptFlagSet() {
        Sim sim = new Sim();
        sim.scripts.put(0, SLOW_READY);
        sim.adopt(1, Script.healthy());

        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> sim.orchestrator.swapAndWait(Plan.oneForOne(), WAIT))
                    .isInstanceOf(HandoffException.class)
                    .hasMessage("interrupted while waiting for web/swap-1; it is not cancelled: it goes on and ends by"
                            + " its own deadlines")
                    .hasCauseInstanceOf(InterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        sim.clock.runUntilIdle();
        assertThat(sim.ended).singleElement().extracting(SwapResult::outcome).isEqualTo(SwapOutcome.COMMITTED);
    }

    @Test
    void givenABadTimeout_whenAWaitIsAskedFor_thenNothingStarts() {
        Sim sim = new Sim();
        sim.adopt(1, Script.healthy());

        assertThatThrownBy(() -> sim.orchestrator.swapAndWait(Plan.oneForOne(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be > 0, but was PT0S");
        assertThatThrownBy(() -> sim.orchestrator.swapAndWait(Plan.oneForOne(), null))
                .isInstanceOf(NullPointerException.class).hasMessage("timeout must not be null");
        assertThatThrownBy(() -> sim.orchestrator.startAndWait(1, Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("timeout must be > 0, but was PT-1S");
        assertThatThrownBy(() -> sim.orchestrator.swapAndWait(null, WAIT)).isInstanceOf(NullPointerException.class)
                .hasMessage("plan must not be null");
        assertThat(sim.launcher.launched()).isEmpty();
        assertThat(sim.events).isEmpty();
    }
}
