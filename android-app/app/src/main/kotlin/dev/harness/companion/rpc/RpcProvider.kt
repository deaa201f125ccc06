package dev.harness.companion.rpc

import android.content.ContentProvider
import android.content.ContentValues
import android.database.Cursor
import android.net.Uri
import android.os.Binder
import android.os.Bundle
import dev.harness.companion.app.CompanionGraph

/**
 * The RPC endpoint: `content call --uri content://dev.harness.companion.rpc --method M --arg JSON`.
 * Serves only the shell and root ([CallerPolicy]); answers a Bundle with one key, `json`.
 * Everything else is in [RpcDispatcher].
 */
class RpcProvider : ContentProvider() {

    override fun onCreate(): Boolean = true

    override fun call(method: String, arg: String?, extras: Bundle?): Bundle {
        CallerPolicy.check(Binder.getCallingUid())
        val context = checkNotNull(context) { "provider not attached" }
        val answer = CompanionGraph.get(context).dispatcher.call(method, arg)
        return Bundle().apply { putString(KEY_JSON, answer) }
    }

    override fun query(uri: Uri, projection: Array<out String>?, selection: String?, selectionArgs: Array<out String>?, sortOrder: String?): Cursor? {
        CallerPolicy.check(Binder.getCallingUid())
        return null
    }

    override fun getType(uri: Uri): String? = null

    override fun insert(uri: Uri, values: ContentValues?): Uri? {
        CallerPolicy.check(Binder.getCallingUid())
        return null
    }

    override fun delete(uri: Uri, selection: String?, selectionArgs: Array<out String>?): Int {
        CallerPolicy.check(Binder.getCallingUid())
        return 0
    }

    override fun update(uri: Uri, values: ContentValues?, selection: String?, selectionArgs: Array<out String>?): Int {
        CallerPolicy.check(Binder.getCallingUid())
        return 0
    }

    companion object {
        const val AUTHORITY = "dev.harness.companion.rpc"
        const val KEY_JSON = "json"
    }
}
