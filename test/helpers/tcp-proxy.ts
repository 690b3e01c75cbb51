/* A TCP proxy in front of PostgreSQL that a test can cut (every connection dropped, new ones refused) and restore. */
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface TcpProxy {
  port: number
  cut(): Promise<void>
  restore(): Promise<void>
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = createConnection(target)
        sockets.add(client).add(upstream)
        const forget = () => {
          sockets.delete(client)
          sockets.delete(upstream)
        }
        client.pipe(upstream).pipe(client)
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
        client.on('close', forget)
        upstream.on('close', forget)
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as { port: number }).port
        resolve()
      })
    })
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      sockets.clear()
      if (server === undefined) resolve()
      else server.close(() => resolve())
      server = undefined
    })
  await listen()
  return {
    get port() {
      return port
    },
    cut: stop,
    restore: listen,
    close: stop,
  }
}
