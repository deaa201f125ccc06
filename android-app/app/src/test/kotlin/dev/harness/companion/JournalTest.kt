package dev.harness.companion

import dev.harness.companion.journal.Clock
import dev.harness.companion.journal.CompanionDatabase
import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.JournalLog
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment

@RunWith(RobolectricTestRunner::class)
class JournalTest {
    private class FixedClock(var elapsed: Long = 5_000, var wall: Long = 1_767_225_600_000, var boot: Int = 3) : Clock {
        override fun bootCount() = boot
        override fun elapsedMs() = elapsed
        override fun wallMs() = wall
    }

    private val context = RuntimeEnvironment.getApplication()
    private val clock = FixedClock()
    private val logged = ArrayList<String>()
    private fun open() = Journal(CompanionDatabase(context, "journal-test.db"), clock, JournalLog { logged += it })

    @Test
    fun sequenceIsMonotonicAndEveryFieldIsStored() {
        val journal = open()
        val a = journal.append("t1", "job", "started", JSONObject().put("run", 1))
        clock.elapsed += 250
        val b = journal.append(null, "app", "process_start", stopReason = "USER")
        assertEquals(a.seq + 1, b.seq)
        val page = journal.page(0, 10)
        assertEquals(listOf(a.seq, b.seq), page.events.map { it.seq })
        val stored = page.events[1]
        assertEquals(3, stored.boot)
        assertEquals(5_250L, stored.elapsedMs)
        assertEquals(clock.wall, stored.wallMs)
        assertEquals(null, stored.taskId)
        assertEquals("USER", stored.stopReason)
        assertEquals(Thread.currentThread().name, stored.thread)
        assertEquals(1, page.events[0].detail.getInt("run"))
    }

    @Test
    fun eventsSurviveReopeningAndSequenceIsNeverReusedAfterClear() {
        val first = open()
        first.append("t", "alarm", "fired")
        val last = first.append("t", "alarm", "fired").seq
        val reopened = open() // a new process: a new helper over the same file
        assertEquals(2, reopened.page(0, 10).events.size)
        assertEquals(last, reopened.lastSeq())
        assertEquals(2, reopened.clear())
        assertEquals(last, reopened.lastSeq())
        val next = open().append("t", "alarm", "fired")
        assertTrue("seq ${next.seq} must be after $last", next.seq > last)
    }

    @Test
    fun paginationReportsMoreAndLastSeq() {
        val journal = open()
        val seqs = (1..5).map { journal.append("t", "work", "started").seq }
        val page = journal.page(seqs[0], 2)
        assertEquals(seqs.subList(1, 3), page.events.map { it.seq })
        assertTrue(page.more)
        assertEquals(seqs[2], page.lastSeq)
        val rest = journal.page(page.lastSeq, 10)
        assertFalse(rest.more)
        assertEquals(seqs.last(), rest.lastSeq)
        assertEquals(seqs.last(), journal.page(seqs.last(), 10).lastSeq)
    }

    @Test
    fun eachEventIsLoggedAsItsJsonAlone() {
        val journal = open()
        val e = journal.append("t9", "foreground", "started", JSONObject().put("fgs_type", "dataSync"))
        assertEquals(1, logged.size)
        val json = JSONObject(logged[0])
        assertEquals(e.seq, json.getLong("seq"))
        assertEquals("t9", json.getString("task_id"))
        assertEquals("dataSync", json.getJSONObject("detail").getString("fgs_type"))
        assertEquals(
            listOf("seq", "boot", "elapsed_ms", "wall_ms", "task_id", "mechanism", "kind", "thread", "stop_reason", "detail"),
            json.keys().asSequence().toList(),
        )
        assertTrue(json.isNull("stop_reason"))
    }
}
