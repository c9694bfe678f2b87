import { PACKAGE } from './index';
describe('q', () => { it('w', () => { expect(PACKAGE).toBe('@market-data/queries'); }); });
