package dev.harness.companion

import dev.harness.companion.rpc.NumberLiteral
import dev.harness.companion.rpc.RpcError
import dev.harness.companion.rpc.StrictJson
import dev.harness.companion.rpc.parseArgument
import org.json.JSONArray
import org.json.JSONObject
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.RobolectricTestRunner

/** ARG is read as strict JSON: org.json's lenient forms are bad_json; numbers keep their kind. */
@RunWith(RobolectricTestRunner::class)
class StrictJsonTest {
    @Test
    fun readsEveryJsonForm() {
        val doc = StrictJson.parse(
            """ {"s":"a\"b\\c\/\u00e9\n","i":-12,"l":5000000000,"d":1.5,"e":2E3,"t":true,"f":false,"n":null,"a":[1,[],{}],"o":{}} """,
        ) as JSONObject
        assertEquals("a\"b\\c/\u00e9\n", doc.getString("s"))
        assertEquals(-12, doc.get("i"))
        assertEquals(5_000_000_000L, doc.get("l"))
        assertEquals(1.5, doc.get("d"))
        assertEquals(2000.0, doc.get("e"))
        assertEquals(true, doc.get("t"))
        assertEquals(false, doc.get("f"))
        assertTrue(doc.isNull("n"))
        assertEquals(3, (doc.get("a") as JSONArray).length())
        assertEquals(NumberLiteral("18446744073709551616", integral = true), StrictJson.parse("18446744073709551616"))
        assertEquals(NumberLiteral("1e400", integral = false), StrictJson.parse("1e400"))
    }

    @Test
    fun refusesWhatOrgJsonWouldAccept() {
        val lenient = listOf(
            "{a:1}", "{'a':1}", """{"a":0x10}""", """{"a":010}""", """{"a":NaN}""", """{"a":b}""", """{"a"=>1}""",
            """{"a":1;"b":2}""", """{"a":1,}""", "[1,]", """{"a":1} x""", """{"a":"tab	in"}""", """{"a":.5}""", """{"a":1.}""",
            """{"a":-}""", """{"a":"\x"}""", "{\"a\":1 /* c */}", "{",
        )
        for (text in lenient) {
            try {
                parseArgument(text)
                fail("accepted $text")
            } catch (e: RpcError) {
                assertEquals(text, "bad_json", e.code.wire)
            }
        }
    }
}
