import { InMemoryEventStore } from '../../libs/event-store/src';
import { eventStoreContract } from './event-store.contract';

eventStoreContract('in-memory', async () => new InMemoryEventStore(), (store) => store.close());
