import { describe, expect, it } from 'vitest'
import { listErrorOf, parseListPage } from '../../storage/s3-listing'

const page = (contents: string, tail = '<IsTruncated>false</IsTruncated>') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>docs</Name><Prefix></Prefix><KeyCount>2</KeyCount>${tail}${contents}</ListBucketResult>`

const contents = (key: string, extra = '<ETag>&#34;9b2cf535f27731c974343645a3985328&#34;</ETag>') =>
  `<Contents><Key>${key}</Key><LastModified>2026-12-04T09:30:01.000Z</LastModified>${extra}<Size>42</Size><StorageClass>STANDARD</StorageClass></Contents>`

describe('ListObjectsV2 response reader', () => {
  it('reads key, size, time and quoted ETag', () => {
    const { objects, nextToken } = parseListPage(page(contents('documents/a.pdf')))

    expect(objects).toEqual([{ key: 'documents/a.pdf', sizeBytes: 42, modifiedAt: new Date('2026-12-04T09:30:01.000Z'), etag: '"9b2cf535f27731c974343645a3985328"' }])
    expect(nextToken).toBeUndefined()
  })

  it('decodes named and numeric entities in keys', () => {
    const { objects } = parseListPage(page(contents('a&amp;b &lt;c&gt; &apos;d&apos; &quot;e&quot; &#233;&#x1F600;.pdf')))

    expect(objects[0]?.key).toBe('a&b <c> \'d\' "e" \u00e9\u{1f600}.pdf')
  })

  it('leaves the ETag out when the server sends none', () => {
    const { objects } = parseListPage(page(contents('plain.txt', '')))

    expect(objects[0]).not.toHaveProperty('etag')
  })

  it('returns the next token of a truncated page', () => {
    const truncated = parseListPage(page(contents('a') + contents('b'), '<IsTruncated>true</IsTruncated><NextContinuationToken>1/abc&amp;=</NextContinuationToken>'))
    const lastPage = parseListPage(page(contents('c'), '<IsTruncated>false</IsTruncated><NextContinuationToken>ignored</NextContinuationToken>'))

    expect(truncated.objects.map((object) => object.key)).toEqual(['a', 'b'])
    expect(truncated.nextToken).toBe('1/abc&=')
    expect(lastPage.nextToken).toBeUndefined()
  })

  it('reads an empty listing', () => {
    expect(parseListPage(page('')).objects).toEqual([])
  })

  it('refuses a 200 page that is no listing', () => {
    expect(() => parseListPage('<html><body>Gateway login</body></html>')).toThrow(/not a ListBucketResult/)
    expect(() => parseListPage('OK')).toThrow(/not a ListBucketResult/)
  })

  it('refuses a truncated page without a token', () => {
    expect(() => parseListPage(page(contents('a'), '<IsTruncated>true</IsTruncated>'))).toThrow(/no NextContinuationToken/)
  })

  it('refuses a response cut inside an entry', () => {
    expect(() => parseListPage(page('<Contents><Key>a</Key><Size>1</Size>'))).toThrow(/ends inside a <Contents> element/)
  })

  it('reads the code and message of an error response', () => {
    const error = listErrorOf(403, '<Error><Code>AccessDenied</Code><Message>Access &amp; denied</Message></Error>')

    expect(error.message).toBe('listing failed with HTTP 403 AccessDenied: Access & denied')
    expect(error.status).toBe(403)
  })
})
