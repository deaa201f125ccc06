package dev.harness.companion

import dev.harness.companion.rpc.RpcProvider
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.shadows.ShadowBinder

@RunWith(RobolectricTestRunner::class)
class RpcProviderTest {
    private val provider = Robolectric.buildContentProvider(RpcProvider::class.java).create(RpcProvider.AUTHORITY).get()

    @Test
    fun shellAndRootGetAJsonBundle() {
        for (uid in listOf(2000, 0)) {
            ShadowBinder.setCallingUid(uid)
            val bundle = provider.call("hello", null, null)
            assertEquals(setOf("json"), bundle.keySet())
            assertTrue(JSONObject(bundle.getString("json")!!).getBoolean("ok"))
        }
    }

    @Test
    fun badInputIsAnAnswerNotACrash() {
        ShadowBinder.setCallingUid(2000)
        val answer = JSONObject(provider.call("schedule", "{oops", null).getString("json")!!)
        assertEquals("bad_json", answer.getJSONObject("error").getString("code"))
        assertTrue(JSONObject(provider.call("hello", "{}", null).getString("json")!!).getBoolean("ok"))
    }

    @Test
    fun foreignCallerIsRefused() {
        ShadowBinder.setCallingUid(10_123)
        try {
            provider.call("hello", null, null)
            fail("an app uid must be refused")
        } catch (e: SecurityException) {
            assertEquals("caller uid 10123 is not shell or root", e.message)
        }
        try {
            provider.query(android.net.Uri.parse("content://${RpcProvider.AUTHORITY}/x"), null, null, null, null)
            fail("an app uid must be refused")
        } catch (e: SecurityException) {
            assertTrue(e.message!!.contains("10123"))
        }
        // Nothing was scheduled or journalled on the refused caller's behalf.
        ShadowBinder.setCallingUid(2000)
        assertEquals(0, Fixtures.events(kind = "scheduled").size)
    }
}
