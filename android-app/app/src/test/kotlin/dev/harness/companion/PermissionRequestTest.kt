package dev.harness.companion

import android.content.Intent
import android.content.pm.PackageManager
import android.os.Looper
import dev.harness.companion.Fixtures.events
import dev.harness.companion.ui.CompanionActivity
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf

/** `--es dev.harness.companion.REQUEST_PERMISSION PERM`: requestPermissions, `permission_result` events. */
@RunWith(RobolectricTestRunner::class)
class PermissionRequestTest {
    private val notifications = "android.permission.POST_NOTIFICATIONS"

    private fun intent(permission: String? = null): Intent =
        Intent(RuntimeEnvironment.getApplication(), CompanionActivity::class.java).apply {
            if (permission != null) putExtra(CompanionActivity.EXTRA_REQUEST_PERMISSION, permission)
        }

    @Test
    fun theExtraIsTheOneDocumented() {
        assertEquals("dev.harness.companion.REQUEST_PERMISSION", CompanionActivity.EXTRA_REQUEST_PERMISSION)
    }

    @Test
    fun startedWithTheExtraTheActivityRequestsThePermissionAndJournalsTheAnswer() {
        val activity = Robolectric.buildActivity(CompanionActivity::class.java, intent(notifications)).setup().get()
        val request = shadowOf(activity).lastRequestedPermission
        assertArrayEquals(arrayOf(notifications), request.requestedPermissions)
        assertEquals(CompanionActivity.REQUEST_PERMISSION_CODE, request.requestCode)
        assertTrue(events(kind = "permission_result").isEmpty()) // nothing until the dialog is answered

        activity.onRequestPermissionsResult(request.requestCode, arrayOf(notifications), intArrayOf(PackageManager.PERMISSION_GRANTED))
        val event = events(kind = "permission_result").single()
        assertNull(event.taskId)
        assertEquals("app", event.mechanism)
        assertEquals(Looper.getMainLooper().thread.name, event.thread)
        assertEquals(setOf("permission", "granted"), event.detail.keys().asSequence().toSet())
        assertEquals(notifications, event.detail.getString("permission"))
        assertTrue(event.detail.getBoolean("granted"))
    }

    @Test
    fun aDenialIsJournalledAsNotGranted() {
        val activity = Robolectric.buildActivity(CompanionActivity::class.java, intent(notifications)).setup().get()
        activity.onRequestPermissionsResult(
            CompanionActivity.REQUEST_PERMISSION_CODE, arrayOf(notifications), intArrayOf(PackageManager.PERMISSION_DENIED),
        )
        assertFalse(events(kind = "permission_result").single().detail.getBoolean("granted"))
    }

    @Test
    fun anInterruptedRequestOrAnotherRequestCodeJournalsNothing() {
        val activity = Robolectric.buildActivity(CompanionActivity::class.java, intent(notifications)).setup().get()
        activity.onRequestPermissionsResult(CompanionActivity.REQUEST_PERMISSION_CODE, emptyArray(), IntArray(0))
        activity.onRequestPermissionsResult(
            CompanionActivity.REQUEST_PERMISSION_CODE + 1, arrayOf(notifications), intArrayOf(PackageManager.PERMISSION_GRANTED),
        )
        assertTrue(events(kind = "permission_result").isEmpty())
    }

    @Test
    fun withoutTheExtraNothingIsRequested() {
        val activity = Robolectric.buildActivity(CompanionActivity::class.java, intent()).setup().get()
        assertNull(shadowOf(activity).lastRequestedPermission)
    }

    @Test
    fun aStartWhileOnTopReachesOnNewIntentAndRequests() {
        val controller = Robolectric.buildActivity(CompanionActivity::class.java, intent()).setup()
        assertNull(shadowOf(controller.get()).lastRequestedPermission)
        controller.newIntent(intent(notifications))
        assertArrayEquals(arrayOf(notifications), shadowOf(controller.get()).lastRequestedPermission.requestedPermissions)
    }

    @Test
    fun aRecreatedActivityDoesNotAskAgain() {
        val controller = Robolectric.buildActivity(CompanionActivity::class.java, intent(notifications)).setup()
        val recreated = controller.recreate().get()
        assertNull(shadowOf(recreated).lastRequestedPermission)
    }

    @Test
    fun aRelaunchFromRecentsDoesNotAskAgain() {
        val relaunch = intent(notifications).addFlags(Intent.FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY)
        val activity = Robolectric.buildActivity(CompanionActivity::class.java, relaunch).setup().get()
        assertNull(shadowOf(activity).lastRequestedPermission)
    }
}
