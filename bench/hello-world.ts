/* The baseline of every ratio: a Fastify hello-world route, run the same way as the bridge. */
import Fastify from 'fastify'

const app = Fastify()
app.get('/', async () => ({ hello: 'world' }))
await app.listen({ port: Number(process.argv[2] ?? 3901), host: '127.0.0.1' })
