package dev.harness.companion.app

import android.content.Context
import dev.harness.companion.alarms.AlarmBackend
import dev.harness.companion.alarms.AlarmFirings
import dev.harness.companion.boot.BootHandler
import dev.harness.companion.jobs.JobBackend
import dev.harness.companion.jobs.JobRunner
import dev.harness.companion.journal.AndroidClock
import dev.harness.companion.journal.Clock
import dev.harness.companion.journal.CompanionDatabase
import dev.harness.companion.journal.Journal
import dev.harness.companion.journal.JournalLog
import dev.harness.companion.rpc.DeviceFacts
import dev.harness.companion.rpc.RpcDispatcher
import dev.harness.companion.service.ForegroundBackend
import dev.harness.companion.service.ForegroundTasks
import dev.harness.companion.service.Notifications
import dev.harness.companion.tasks.AlarmParams
import dev.harness.companion.tasks.ConfigStore
import dev.harness.companion.tasks.Crashes
import dev.harness.companion.tasks.Mechanism
import dev.harness.companion.tasks.ScheduleGate
import dev.harness.companion.tasks.TaskParser
import dev.harness.companion.tasks.TaskRegistry
import dev.harness.companion.tasks.TaskState
import dev.harness.companion.ui.CoroutineBackend
import dev.harness.companion.ui.CoroutineTasks
import dev.harness.companion.work.WorkBackend
import dev.harness.companion.work.WorkChains
import dev.harness.companion.work.WorkRunner
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob

/**
 * The app's object graph, one per process (per Application instance), built on first use by
 * whichever component runs first (the provider can run before Application.onCreate).
 */
class CompanionGraph private constructor(
    val appContext: Context,
    val clock: Clock,
    val device: DeviceFacts,
    log: JournalLog,
) {
    /** Background work of jobs and foreground tasks: a failure in one never cancels another. */
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    val database = CompanionDatabase(appContext)
    val journal = Journal(database, clock, log)
    val parser = TaskParser(device.apiLevel)
    val registry = TaskRegistry(database, parser)
    val config = ConfigStore(database)
    val gate = ScheduleGate()

    /** Behavior outcome `crash` (its [Crashes.crasher] is replaced by the JVM tests). */
    val crashes = Crashes(journal, registry)
    val jobRunner = JobRunner(journal, registry, gate, scope, crashes)
    val workChains = WorkChains(registry)
    val workRunner = WorkRunner(journal, registry, gate, crashes)
    val alarmFirings = AlarmFirings(journal, registry, clock, gate)
    val foregroundTasks = ForegroundTasks(journal, registry, gate, scope)
    val coroutineTasks = CoroutineTasks(journal, registry, gate)
    val processStarts = ProcessStarts(journal)

    val alarmBackend = AlarmBackend(appContext, clock)

    val backends = mapOf(
        Mechanism.JOB to JobBackend(appContext),
        Mechanism.WORK to WorkBackend(appContext, workChains::chainOf),
        Mechanism.ALARM to alarmBackend,
        Mechanism.FOREGROUND to ForegroundBackend(appContext, foregroundTasks),
        Mechanism.COROUTINE to CoroutineBackend(coroutineTasks),
    )

    val dispatcher = RpcDispatcher(journal, registry, config, parser, backends, device, gate)

    val bootHandler = BootHandler(journal, registry, config, clock) { record ->
        val planned = alarmBackend.plan(record.id, record.spec.params as AlarmParams, null)
        planned.submit()
        registry.setRuntime(record.id, planned.runtime)
        registry.setState(record.id, TaskState.SCHEDULED)
    }

    companion object {
        @Volatile private var instance: CompanionGraph? = null

        fun get(context: Context): CompanionGraph {
            val app = context.applicationContext ?: context
            instance?.let { if (it.appContext === app) return it }
            return synchronized(this) {
                instance?.takeIf { it.appContext === app } ?: create(app).also { instance = it }
            }
        }

        private fun create(app: Context): CompanionGraph {
            val clock = AndroidClock(app.contentResolver)
            Notifications.createChannel(app)
            return CompanionGraph(app, clock, AndroidDeviceFacts(app, clock), JournalLog.LOGCAT)
        }
    }
}
