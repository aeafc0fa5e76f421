package dev.handoff.core.internal.process;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Allowance} on a clock the test moves. */
class AllowanceTest {

    private final AtomicLong now = new AtomicLong(1_000);

    private int takes(Allowance allowance, int attempts) {
        int taken = 0;
        for (int i = 0; i < attempts; i++) {
            if (allowance.tryTake()) {
                taken++;
            }
        }
        return taken;
    }

    @Test
    void aBurstTakesTheWholeAllowanceAndNoMore() {
        Allowance allowance = new Allowance(10, now::get);

        assertThat(takes(allowance, 50)).isEqualTo(10);
    }

    @Test
    void theAllowanceRefillsAtItsRateUpToItsBurst() {
        Allowance allowance = new Allowance(10, now::get);
        takes(allowance, 10);

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(300));
        assertThat(takes(allowance, 50)).as("three tenths of a second: three").isEqualTo(3);

        now.addAndGet(TimeUnit.SECONDS.toNanos(60));
        assertThat(takes(allowance, 50)).as("never more than the burst").isEqualTo(10);
    }

    @Test
    void aSteadyRateWithinTheAllowanceIsNeverRefused() {
        Allowance allowance = new Allowance(100, now::get);

        for (int i = 0; i < 1_000; i++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(10));
            assertThat(allowance.tryTake()).isTrue();
        }
    }

    @Test
    void anAllowanceBelowOneIsRefused() {
        assertThatThrownBy(() -> new Allowance(0, now::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("perSecond must be >= 1, but was 0");
    }
}
